using AbandonedCart.Workflows.Decisions;
using Temporalio.Activities;

namespace AbandonedCart.Workflows;

/// <summary>
/// What journeys ask of the outside world. Implemented against PostgreSQL and the providers in Activities,
/// and answered from a scenario by <c>simulate</c> and the offline tests.
/// </summary>
public interface IJourneyActivities
{
    /// <summary>The journey switch, holdout share and the customer's send history, read fresh before each send.</summary>
    [Activity]
    Task<SendContext> GetSendContextAsync(SendContextRequest request);

    /// <summary>
    /// Checks eligibility (consent and address) at send time and sends once per idempotency key. With a
    /// <see cref="SendRequest.Gate"/> it first checks the journey switch, the cross-journey cap and quiet hours, and
    /// answers <c>stopped</c> or <c>deferred</c> (recorded under <see cref="SendRequest.DecisionKey"/>) instead of sending.
    /// </summary>
    [Activity]
    Task<SendResult> SendMessageAsync(SendRequest request);

    /// <summary>Records that a journey round reached its first due message (the dashboard's cart), with its holdout flag.</summary>
    [Activity]
    Task RecordEntryAsync(JourneyEntry entry);

    /// <summary>Records how a journey round ended.</summary>
    [Activity]
    Task RecordOutcomeAsync(JourneyOutcome outcome);

    /// <summary>Records a decision not to send (yet): deferral, cap, holdout, stop.</summary>
    [Activity]
    Task RecordDecisionAsync(DecisionRecord record);

    /// <summary>Adds the customer to the ad audiences when eligible (valid email, ads consent, not added recently).</summary>
    [Activity]
    Task<AudienceResult> AddToAudiencesAsync(AudienceRequest request);

    /// <summary>Removes the customer from the ad audiences they were added to.</summary>
    [Activity]
    Task<AudienceResult> RemoveFromAudiencesAsync(AudienceRequest request);
}

/// <summary>
/// Names of the <see cref="IJourneyActivities"/> activities, for calling them by name from workflow code. The SDK's
/// lambda form (<c>ExecuteActivityAsync((IJourneyActivities a) =&gt; a.SendMessageAsync(request), …)</c>) compiles
/// the argument expression on every call, about a tenth (1 ms) of the journey's replay time; the commands and
/// histories are the same either way. Names are the SDK's own for the interface's methods, read once.
/// </summary>
public static class JourneyActivity
{
    public static readonly string GetSendContext = NameOf(nameof(IJourneyActivities.GetSendContextAsync));
    public static readonly string SendMessage = NameOf(nameof(IJourneyActivities.SendMessageAsync));
    public static readonly string RecordEntry = NameOf(nameof(IJourneyActivities.RecordEntryAsync));
    public static readonly string RecordOutcome = NameOf(nameof(IJourneyActivities.RecordOutcomeAsync));
    public static readonly string RecordDecision = NameOf(nameof(IJourneyActivities.RecordDecisionAsync));
    public static readonly string AddToAudiences = NameOf(nameof(IJourneyActivities.AddToAudiencesAsync));
    public static readonly string RemoveFromAudiences = NameOf(nameof(IJourneyActivities.RemoveFromAudiencesAsync));

    private static string NameOf(string method) =>
        ActivityDefinition.Create(typeof(IJourneyActivities).GetMethod(method)!, _ => null).Name
        ?? throw new InvalidOperationException($"{method} has no activity name");
}

public sealed record SendContextRequest
{
    public required string CustomerId { get; init; }

    public required string Journey { get; init; }
}

public sealed record SendContext
{
    /// <summary>The journey switch in PostgreSQL; false stops the journey before its next send.</summary>
    public bool JourneyEnabled { get; init; } = true;

    /// <summary>Share of customers (0-100) held out of this journey, deterministically by customer id.</summary>
    public double HoldoutPercent { get; init; }

    /// <summary>Forces the holdout assignment (simulate's <c>"holdout"</c>); null means use the share.</summary>
    public bool? HoldoutOverride { get; init; }

    /// <summary>IANA time zone of the customer, null when the profile has none.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Latest message this customer got from this journey (any run), if any.</summary>
    public DateTimeOffset? LastJourneyMessageAt { get; init; }

    /// <summary>Latest message this customer got from any other journey, if any.</summary>
    public DateTimeOffset? LastOtherJourneyMessageAt { get; init; }
}

public sealed record SendRequest
{
    /// <summary>Unique per customer, journey run and step: a retried send with this key never sends twice.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>The journey round this send belongs to (see <see cref="JourneyEntry.EntryKey"/>).</summary>
    public string? EntryKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Journey { get; init; }

    public required string Channel { get; init; }

    public required int Step { get; init; }

    public required IReadOnlyList<CartItem> Items { get; init; }

    public decimal CartValue { get; init; }

    public string Currency { get; init; } = "EUR";

    /// <summary>
    /// When set, the switch, cross-journey cap and quiet hours are checked by the send itself, at send time, saving
    /// the journey a round trip per message; null (journeys started before patch <c>gate-checked-at-send</c>) sends
    /// without those checks, which the journey then made itself.
    /// </summary>
    public SendGatePolicy? Gate { get; init; }

    /// <summary>Idempotency key of the <c>deferred</c> or <c>stopped</c> decision, when the gate says not now.</summary>
    public string? DecisionKey { get; init; }
}

public sealed record SendResult
{
    public const string SentStatus = "sent";
    public const string SkippedStatus = "skipped";
    public const string DeferredStatus = "deferred";
    public const string StoppedStatus = "stopped";

    /// <summary><c>sent</c> or <c>skipped</c>; with a gate also <c>deferred</c> (until <see cref="Until"/>) or <c>stopped</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Why it was skipped (<c>no_consent</c>, <c>no_address</c>, …).</summary>
    public string? Reason { get; init; }

    public long? MessageId { get; init; }

    public string? ProviderMessageId { get; init; }

    /// <summary>Not before this time, when <c>deferred</c>.</summary>
    public DateTimeOffset? Until { get; init; }

    public bool Sent => Status == SentStatus;

    public static SendResult Skipped(string reason) => new() { Status = SkippedStatus, Reason = reason };

    public static SendResult Deferred(string reason, DateTimeOffset until) => new() { Status = DeferredStatus, Reason = reason, Until = until };

    public static SendResult Stopped() => new() { Status = StoppedStatus, Reason = Reasons.JourneyStopped };
}

public sealed record DecisionRecord
{
    public required string IdempotencyKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Journey { get; init; }

    /// <summary><c>deferred</c>, <c>capped</c>, <c>holdout</c> or <c>stopped</c>.</summary>
    public required string Status { get; init; }

    public required string Reason { get; init; }

    public string? Channel { get; init; }

    public int? Step { get; init; }

    public DateTimeOffset? Until { get; init; }
}

public sealed record AudienceRequest
{
    public required string IdempotencyKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Journey { get; init; }
}

public sealed record AudienceResult
{
    /// <summary>The audiences acted on (<c>google</c>, <c>meta</c>); empty when nothing was done.</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>Why nothing was done, when so.</summary>
    public string? Reason { get; init; }

    public bool Done => Audiences.Count > 0;
}

public sealed record JourneyEntry
{
    /// <summary>Unique per journey round: <c>{workflowId}:{round start, yyyyMMddTHHmmssZ}</c>.</summary>
    public required string EntryKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Journey { get; init; }

    public required string WorkflowId { get; init; }

    public required DateTimeOffset EnteredAt { get; init; }

    public bool Holdout { get; init; }

    public decimal CartValue { get; init; }

    public string Currency { get; init; } = "EUR";
}

public sealed record JourneyOutcome
{
    public required string EntryKey { get; init; }

    public required string Outcome { get; init; }

    public required DateTimeOffset EndedAt { get; init; }
}
