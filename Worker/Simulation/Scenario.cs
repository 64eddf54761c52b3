using AbandonedCart.Workflows;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// A <c>simulate</c> scenario (format in README, "simulate"): a customer, their earlier messages, and what
/// happens at which time. Read and validated by <see cref="ScenarioReader"/>.
/// </summary>
public sealed record Scenario
{
    public required string Journey { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required ScenarioCustomer Customer { get; init; }

    public IReadOnlyList<ScenarioSend> History { get; init; } = [];

    public required IReadOnlyList<ScenarioEvent> Events { get; init; }

    /// <summary>Forces the customer into (true) or out of (false) the journey's holdout group.</summary>
    public bool? Holdout { get; init; }

    /// <summary>The journey switch at the start; false means the journey is stopped.</summary>
    public bool JourneyEnabled { get; init; } = true;

    public double HoldoutPercent { get; init; }

    /// <summary>
    /// The same scenario moved in time, for a server whose clock cannot go back to <see cref="Start"/>. Shift by whole
    /// days so times of day, and so quiet hours, stay the same (daylight-saving dates may differ).
    /// </summary>
    public Scenario ShiftedBy(TimeSpan shift) => this with
    {
        Start = Start + shift,
        History = History.Select(h => h with { SentAt = h.SentAt + shift }).ToList(),
        Events = Events.Select(e => e with { At = e.At + shift }).ToList(),
    };
}

public sealed record ScenarioCustomer
{
    public required string Id { get; init; }

    public string? Email { get; init; }

    public string? Phone { get; init; }

    public string? TimeZone { get; init; }

    public IReadOnlyList<string> Consents { get; init; } = [];

    public ScenarioPushTokens? PushTokens { get; init; }

    public ScenarioWebPush? WebPush { get; init; }

    public string? LineUserId { get; init; }
}

public sealed record ScenarioPushTokens(string? Fcm, string? Apns, string? Huawei);

public sealed record ScenarioWebPush(string Endpoint, string P256dh, string Auth);

/// <summary>A message the customer got before the scenario (channel <c>audience</c>: added to the ad audiences).</summary>
public sealed record ScenarioSend(string Journey, string Channel, DateTimeOffset SentAt);

/// <summary>One scripted event; which properties are set depends on <see cref="Type"/>.</summary>
public sealed record ScenarioEvent
{
    public const string CartUpdated = "cart_updated";
    public const string Engaged = "engaged";
    public const string ConsentWithdrawn = "consent_withdrawn";
    public const string ConsentGranted = "consent_granted";
    public const string Purchased = "purchased";
    public const string JourneyStopped = "journey_stopped";
    public const string CustomerUpdated = "customer_updated";

    public static readonly IReadOnlyList<string> Types =
        [CartUpdated, Engaged, ConsentWithdrawn, ConsentGranted, Purchased, JourneyStopped, CustomerUpdated];

    public required DateTimeOffset At { get; init; }

    public required string Type { get; init; }

    /// <summary>When a cart update or purchase happened, if before it arrives (<see cref="At"/>): a late delivery.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    public string? Device { get; init; }

    public IReadOnlyList<CartItem> Items { get; init; } = [];

    public string? Currency { get; init; }

    public decimal? Value { get; init; }

    public string? Channel { get; init; }

    public string? Action { get; init; }

    public string? MessageKey { get; init; }

    public string? Consent { get; init; }

    public string? OrderId { get; init; }

    public decimal? Revenue { get; init; }

    /// <summary>For <c>customer_updated</c>: the customer properties that change (id is ignored).</summary>
    public ScenarioCustomer? Customer { get; init; }
}
