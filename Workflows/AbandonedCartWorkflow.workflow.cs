using AbandonedCart.Workflows.Decisions;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace AbandonedCart.Workflows;

/// <summary>
/// The omnichannel abandoned-cart journey (seed 000), one run per customer: workflow id <c>abandoned-cart:{customerId}</c>.
/// Read <see cref="RunAsync"/> top to bottom; the rules' values are in <see cref="AbandonedCartJourney"/>, the pure
/// decisions in <c>Decisions/</c>.
/// </summary>
[Workflow]
public sealed class AbandonedCartWorkflow
{
    public const string TaskQueue = "abandoned-cart";

    private static readonly ActivityOptions RecordOptions = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(30),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    // A provider outage longer than this gives the turn to the next channel rather than holding the journey.
    private static readonly ActivityOptions SendOptions = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        ScheduleToCloseTimeout = TimeSpan.FromHours(1),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(2), MaximumInterval = TimeSpan.FromMinutes(5) },
    };

    private readonly AbandonedCartJourney journey = AbandonedCartJourney.Default;
    private readonly State state;
    private int activitiesInFlight;

    // The entry record, written while the first message goes out (patch gate-checked-at-send).
    private Task? entryRecorded;

    // A LastChannel change that rides along with the next JourneyStage upsert (patch gate-checked-at-send).
    private bool lastChannelPending;

    [WorkflowInit]
    public AbandonedCartWorkflow(Input input)
    {
        ArgumentNullException.ThrowIfNull(input);
        state = input.Carried ?? new State { CustomerId = input.CustomerId };
    }

    public static string IdFor(string customerId) => $"abandoned-cart:{customerId}";

    /// <summary>What the journey is doing now and why messages were or were not sent (the workflow's query).</summary>
    [WorkflowQuery]
    public JourneyStatus Status => new()
    {
        CustomerId = state.CustomerId,
        Stage = state.Stage,
        NextStep = state.NextStep,
        NextStepAt = state.NextStepAt,
        Device = state.Cart?.Device,
        Items = state.Cart?.Items.Count ?? 0,
        CartValue = state.Cart?.TotalValue ?? 0,
        Log = state.Log,
        Audiences = state.Audiences,
        Outcome = state.Outcome,
    };

    [WorkflowRun]
    public async Task<Result> RunAsync(Input input)
    {
        // 1. The first message is due an hour after the latest cart update; a newer update restarts the wait.
        var settled = await WaitForCartToSettleAsync();
        if (settled is not null)
        {
            return Finish(settled);
        }

        // 2. Entry: the journey switch, the holdout group and the 7-day cap decide whether this cart gets messages.
        var entryOutcome = await EnterAsync();
        if (entryOutcome is Outcomes.Holdout or Outcomes.Stopped)
        {
            await RecordOutcomeAsync(entryOutcome);
            return Finish(entryOutcome);
        }

        // 3. Two tracks at once: retargeting audiences, and the chain of messages one at a time.
        var retargeting = RetargetAsync();
        var outcome = entryOutcome ?? await RunChainAsync();
        if (entryRecorded is not null)
        {
            await entryRecorded;
        }

        await RecordOutcomeAsync(outcome);

        // 4. The run completes when retargeting is done too; a new cart meanwhile starts a new round.
        await WaitForRetargetingAsync(retargeting);
        return Finish(outcome);
    }

    /// <summary>
    /// Since patch <c>event-time-order</c> the journey keeps the cart update that happened last (by its
    /// <see cref="CartUpdated.OccurredAt"/>), not the one that arrived last: an older update arriving late changes
    /// nothing and does not restart the wait. An update that happened after the purchase recorded so far is a new
    /// cart, which that purchase does not end.
    /// </summary>
    [WorkflowSignal]
    public Task CartUpdatedAsync(CartUpdated update)
    {
        ArgumentNullException.ThrowIfNull(update);

        // Patched only where the order matters, so runs whose events arrive in order record no marker.
        if (state.Cart is { } current && update.OccurredAt < current.OccurredAt && Workflow.Patched(Patches.EventTimeOrder))
        {
            return Task.CompletedTask;
        }

        if (state.Purchase is { } purchase && purchase.OccurredAt < update.OccurredAt && Workflow.Patched(Patches.EventTimeOrder))
        {
            state.Purchase = null;
        }

        state.Cart = update;
        state.CartReceivedAt = Workflow.UtcNow;
        state.CartVersion++;
        state.CartUpdates++;
        return Task.CompletedTask;
    }

    /// <summary>Since patch <c>event-time-order</c> a purchase that happened before the latest cart update does not end its journey.</summary>
    [WorkflowSignal]
    public Task PurchaseCompletedAsync(PurchaseCompleted purchase)
    {
        ArgumentNullException.ThrowIfNull(purchase);
        if (state.Cart is { } cart && purchase.OccurredAt < cart.OccurredAt && Workflow.Patched(Patches.EventTimeOrder))
        {
            return Task.CompletedTask;
        }

        state.Purchase ??= purchase;
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task EngagedAsync(Engagement engagement)
    {
        ArgumentNullException.ThrowIfNull(engagement);

        // Any open or click of a message of this round shows interest; later channels would only nag.
        var ofThisRound = state.Log.Any(e => e.Status == "sent"
            && (engagement.MessageKey is null ? e.Channel == engagement.Channel : e.Key == engagement.MessageKey));
        if (engagement.StopsChain && ofThisRound)
        {
            state.Engaged = true;
        }

        return Task.CompletedTask;
    }

    private bool Purchased => state.Purchase is not null;

    private bool CartEmpty => state.Cart is { Items.Count: 0 };

    private string EntryKey => $"{Workflow.Info.WorkflowId}:{state.RoundStartedAt:yyyyMMdd'T'HHmmss'Z'}";

    private async Task<string?> WaitForCartToSettleAsync()
    {
        state.RoundStartedAt ??= Workflow.UtcNow;
        while (state.Phase == Phases.Settling)
        {
            // Signal-with-start delivers the first cart update with the first task; without one there is nothing to do.
            if (state.Cart is null || CartEmpty)
            {
                await WaitUntilAsync(() => state.Cart is { Items.Count: > 0 } || Purchased, Workflow.UtcNow + journey.FirstMessageDelay, "waiting for a cart");
                if (state.Cart is null || CartEmpty)
                {
                    return Purchased ? Outcomes.Purchased : Outcomes.CartEmptied;
                }
            }

            var version = state.CartVersion;
            var due = state.CartReceivedAt!.Value + journey.FirstMessageDelay;
            SetStage(Stages.WaitingForCart, "first message", due);
            await WaitUntilAsync(() => Purchased || state.CartVersion != version, due, $"waiting {Describe(journey.FirstMessageDelay)} after the latest cart update");
            if (Purchased)
            {
                return Outcomes.Purchased;
            }

            if (state.CartVersion == version)
            {
                state.Phase = Phases.Entering;
            }
        }

        return null;
    }

    private async Task<string?> EnterAsync()
    {
        if (state.Phase != Phases.Entering)
        {
            return null;
        }

        var context = await GetSendContextAsync();
        var holdout = context.HoldoutOverride ?? Holdout.IsHeldOut(journey.Name, state.CustomerId, context.HoldoutPercent);
        string? outcome = null;
        if (!context.JourneyEnabled)
        {
            outcome = Outcomes.Stopped;
            await RecordDecisionAsync("stopped", Reasons.JourneyStopped, null, null, null);
        }
        else
        {
            var entry = RecordEntryAsync(
                new JourneyEntry
                {
                    EntryKey = EntryKey,
                    CustomerId = state.CustomerId,
                    Journey = journey.Name,
                    WorkflowId = Workflow.Info.WorkflowId,
                    EnteredAt = Workflow.UtcNow,
                    Holdout = holdout,
                    CartValue = state.Cart!.TotalValue,
                    Currency = state.Cart.Currency,
                },
                holdout ? "holdout entry" : "journey entry");
            if (!holdout && GateAtSend && !SendGate.IsCapped(Workflow.UtcNow, context, journey))
            {
                // The entry is recorded while the audiences and the first message go out.
                entryRecorded = entry;
            }
            else
            {
                await entry;
                if (holdout)
                {
                    outcome = Outcomes.Holdout;
                    await RecordDecisionAsync("holdout", Reasons.Holdout, null, null, null);
                }
                else if (SendGate.IsCapped(Workflow.UtcNow, context, journey))
                {
                    // Capped customers get no messages; the retargeting track has its own 14-day rule.
                    outcome = Outcomes.Capped;
                    await RecordDecisionAsync("capped", Reasons.RecentlyMessaged, null, null, null);
                }
            }
        }

        state.Phase = outcome is Outcomes.Holdout or Outcomes.Stopped ? Phases.Done : Phases.Chain;
        return outcome;
    }

    private async Task<string> RunChainAsync()
    {
        var chain = journey.ChainFor(state.Cart!.Device);
        while (state.ChainIndex < chain.Count)
        {
            var channel = chain[state.ChainIndex];
            var step = state.ChainIndex + 1;

            // Wait for the current message's window when resuming after continue-as-new.
            if (state.WindowEndsAt is null)
            {
                var (ended, result) = GateAtSend ? await SendWhenAllowedAsync(channel, step) : await GateThenSendAsync(channel, step);
                if (ended is not null)
                {
                    return ended;
                }

                if (!result!.Sent)
                {
                    state.ChainIndex++;
                    continue;
                }

                state.WindowEndsAt = Workflow.UtcNow + WindowFor(channel);
            }

            // One message at a time: the next channel gets the turn only if this one is ignored for its window.
            SetStage(Stages.WaitingForEngagement, chain.ElementAtOrDefault(state.ChainIndex + 1) ?? "end", state.WindowEndsAt);
            await WaitUntilAsync(() => Purchased || state.Engaged || CartEmpty, state.WindowEndsAt.Value, $"waiting {Describe(WindowFor(channel))} for an open or click on the {Label(channel)}");
            state.WindowEndsAt = null;
            state.ChainIndex++;
            if (Purchased)
            {
                return Outcomes.Purchased;
            }

            if (state.Engaged)
            {
                return Outcomes.Engaged;
            }

            if (CartEmpty)
            {
                return Outcomes.CartEmptied;
            }
        }

        return Purchased ? Outcomes.Purchased : Outcomes.Exhausted;
    }

    /// <summary>
    /// Sends the step's message, the send itself checking the switch, cross-journey cap and quiet hours at send time;
    /// a deferral waits until allowed and tries again. Ended is the chain's outcome when it ends here.
    /// </summary>
    private async Task<(string? Ended, SendResult? Result)> SendWhenAllowedAsync(string channel, int step)
    {
        while (true)
        {
            if (Purchased)
            {
                return (Outcomes.Purchased, null);
            }

            var result = await SendAsync(channel, step, gated: true);
            if (result.Status == SendResult.StoppedStatus)
            {
                return (Outcomes.Stopped, null);
            }

            if (result.Status != SendResult.DeferredStatus)
            {
                return (null, result);
            }

            var until = result.Until ?? Workflow.UtcNow;
            SetStage(Stages.Deferred, channel, until);
            if (await WaitOutDeferralAsync(channel, until, result.Reason) is { } ended)
            {
                return (ended, null);
            }
        }
    }

    /// <summary>
    /// Waits while a due message is deferred (quiet hours, cross-journey cap); the chain's outcome when it ends here.
    /// Since patch <c>engagement-ends-deferral</c> an open or click of this round's earlier message during the wait
    /// ends the chain as engaged, as it does during a message's window; before it, the deferred message went out anyway.
    /// </summary>
    private async Task<string?> WaitOutDeferralAsync(string channel, DateTimeOffset until, string? reason)
    {
        var engagementEnds = Workflow.Patched(Patches.EngagementEndsDeferral);
        await WaitUntilAsync(() => Purchased || CartEmpty || (engagementEnds && state.Engaged), until, $"deferring the {Label(channel)} ({reason})");
        if (CartEmpty)
        {
            return Outcomes.CartEmptied;
        }

        return engagementEnds && state.Engaged && !Purchased ? Outcomes.Engaged : null;
    }

    /// <summary>The released path (before patch gate-checked-at-send): read the send context, defer or send.</summary>
    private async Task<(string? Ended, SendResult? Result)> GateThenSendAsync(string channel, int step)
    {
        var gate = await WaitForSendSlotAsync(channel, step);
        return gate is not null ? (gate, null) : (null, await SendAsync(channel, step, gated: false));
    }

    /// <summary>Defers the next send while the journey's caps or quiet hours forbid it; null when it may go now.</summary>
    private async Task<string?> WaitForSendSlotAsync(string channel, int step)
    {
        while (true)
        {
            if (Purchased)
            {
                return Outcomes.Purchased;
            }

            var context = await GetSendContextAsync();
            if (!context.JourneyEnabled)
            {
                await RecordDecisionAsync("stopped", Reasons.JourneyStopped, channel, step, null);
                return Outcomes.Stopped;
            }

            var gate = SendGate.Decide(Workflow.UtcNow, context, journey);
            if (gate.SendNow)
            {
                return null;
            }

            await RecordDecisionAsync("deferred", gate.Reason!, channel, step, gate.Until);
            SetStage(Stages.Deferred, channel, gate.Until);
            if (await WaitOutDeferralAsync(channel, gate.Until, gate.Reason) is { } ended)
            {
                return ended;
            }
        }
    }

    private async Task<SendResult> SendAsync(string channel, int step, bool gated)
    {
        SetStage(Stages.Sending, channel, Workflow.UtcNow);
        var key = $"{EntryKey}:{step}";
        var decisionKey = gated ? $"{EntryKey}:{step}:gate:{state.Log.Count}" : null;
        var request = new SendRequest
        {
            IdempotencyKey = key,
            EntryKey = EntryKey,
            CustomerId = state.CustomerId,
            Journey = journey.Name,
            Channel = channel,
            Step = step,
            Items = state.Cart!.Items,
            CartValue = state.Cart.TotalValue,
            Currency = state.Cart.Currency,
            Gate = gated ? journey.Gate : null,
            DecisionKey = decisionKey,
        };
        SendResult result;
        try
        {
            activitiesInFlight++;
            result = await Workflow.ExecuteActivityAsync<SendResult>(
                JourneyActivity.SendMessage,
                [request],
                WithSummary(SendOptions, $"{Label(channel)} #{step}"));
        }
        catch (ActivityFailureException failure)
        {
            // A provider that refuses the message (or stays down past the send timeout) passes the turn on.
            var type = (failure.InnerException as ApplicationFailureException)?.ErrorType ?? "send_failed";
            result = SendResult.Skipped(type);
        }
        finally
        {
            activitiesInFlight--;
        }

        var decided = result.Status is SendResult.DeferredStatus or SendResult.StoppedStatus;
        state.Log.Add(decided
            ? new LogEntry(Workflow.UtcNow, channel, step, decisionKey!, result.Status, result.Reason, result.Until)
            : new LogEntry(Workflow.UtcNow, channel, step, key, result.Sent ? SendResult.SentStatus : SendResult.SkippedStatus, result.Reason, null));
        if (result.Sent)
        {
            state.LastChannel = channel;
            if (gated)
            {
                // The stage changes right after a send; one upsert carries both.
                lastChannelPending = true;
            }
            else
            {
                Workflow.UpsertTypedSearchAttributes(SearchAttributes.LastChannel.ValueSet(channel));
            }
        }

        return result;
    }

    private async Task RetargetAsync()
    {
        var key = $"{EntryKey}:audiences";
        if (!state.AudienceDecided)
        {
            var added = await AudienceAsync(JourneyActivity.AddToAudiences, new AudienceRequest { IdempotencyKey = key, CustomerId = state.CustomerId, Journey = journey.Name }, "add to ad audiences");
            state.AudienceDecided = true;
            if (added?.Done == true)
            {
                state.Audiences = added.Audiences;
                state.AudiencesAddedAt = Workflow.UtcNow;
                state.AudienceKey = key;
            }
        }

        if (state.AudiencesAddedAt is not { } addedAt || state.AudiencesRemoved)
        {
            return;
        }

        // Audiences keep the customer for a fixed time, or until they buy.
        await WaitUntilAsync(() => Purchased, addedAt + journey.AudienceDuration, $"keeping the customer in ad audiences for {Describe(journey.AudienceDuration)} or until purchase", allowContinueAsNew: false);
        var audienceKey = state.AudienceKey!;
        await AudienceAsync(JourneyActivity.RemoveFromAudiences, new AudienceRequest { IdempotencyKey = audienceKey, CustomerId = state.CustomerId, Journey = journey.Name }, "remove from ad audiences");
        state.AudiencesRemoved = true;
    }

    private async Task WaitForRetargetingAsync(Task retargeting)
    {
        state.Phase = Phases.Retargeting;
        if (retargeting.IsCompleted)
        {
            await retargeting;
            return;
        }

        SetStage(Stages.Retargeting, "audience removal", state.AudiencesAddedAt + journey.AudienceDuration);
        var version = state.CartVersion;
        bool NewCart() => state.CartVersion != version && state.Cart is { Items.Count: > 0 } && !Purchased;
        await Workflow.WhenAnyAsync(retargeting, Workflow.WaitConditionAsync(NewCart));
        if (NewCart())
        {
            // A new cart while only the audience track remains: a new round, same audience membership.
            await Workflow.WaitConditionAsync(() => activitiesInFlight == 0);
            throw Workflow.CreateContinueAsNewException((AbandonedCartWorkflow wf) => wf.RunAsync(new Input
            {
                CustomerId = state.CustomerId,
                Carried = state.NextRound(),
            }));
        }

        await retargeting;
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds or <paramref name="deadline"/> passes. When the history grows
    /// long (a storm of cart updates) and no activity is in flight, the run continues as new with its state instead.
    /// </summary>
    private async Task WaitUntilAsync(Func<bool> condition, DateTimeOffset deadline, string summary, bool allowContinueAsNew = true)
    {
        bool MustContinueAsNew() => allowContinueAsNew && activitiesInFlight == 0 && HistoryTooLong && Workflow.UtcNow < deadline;
        var remaining = deadline - Workflow.UtcNow;
        if (!condition() && remaining > TimeSpan.Zero && !MustContinueAsNew())
        {
            await Workflow.WaitConditionWithOptionsAsync(new WaitConditionOptions
            {
                ConditionCheck = () => condition() || MustContinueAsNew(),
                Timeout = remaining,
                TimeoutSummary = summary,
            });
        }

        if (!condition() && MustContinueAsNew())
        {
            throw Workflow.CreateContinueAsNewException((AbandonedCartWorkflow wf) => wf.RunAsync(new Input
            {
                CustomerId = state.CustomerId,
                Carried = state,
            }));
        }
    }

    /// <summary>
    /// Since patch <c>gate-checked-at-send</c> the send activity checks the switch, cross-journey cap and quiet hours
    /// itself and the entry is recorded alongside the first send: one activity and one workflow task fewer per message. Carts that
    /// entered before keep the released path (a send-context read before every send).
    /// </summary>
    private static bool GateAtSend => Workflow.Patched(Patches.GateCheckedAtSend);

    private bool HistoryTooLong => Workflow.ContinueAsNewSuggested || Workflow.CurrentHistoryLength >= journey.HistoryEventLimit;

    private async Task<SendContext> GetSendContextAsync() =>
        await RecordAsync<SendContext>(
            JourneyActivity.GetSendContext,
            new SendContextRequest { CustomerId = state.CustomerId, Journey = journey.Name },
            "journey switch and send history");

    private Task RecordDecisionAsync(string status, string reason, string? channel, int? step, DateTimeOffset? until)
    {
        var key = $"{EntryKey}:{step ?? 0}:{status}:{state.Log.Count}";
        state.Log.Add(new LogEntry(Workflow.UtcNow, channel, step, key, status, reason, until));
        var record = new DecisionRecord
        {
            IdempotencyKey = key,
            CustomerId = state.CustomerId,
            Journey = journey.Name,
            Status = status,
            Reason = reason,
            Channel = channel,
            Step = step,
            Until = until,
        };
        return RecordAsync(JourneyActivity.RecordDecision, record, $"record {status}: {reason}");
    }

    private Task RecordOutcomeAsync(string outcome)
    {
        state.Outcome = outcome;
        var record = new JourneyOutcome { EntryKey = EntryKey, Outcome = outcome, EndedAt = Workflow.UtcNow };
        return RecordAsync(JourneyActivity.RecordOutcome, record, $"outcome: {outcome}");
    }

    private async Task<T> RecordAsync<T>(string activity, object argument, string summary)
    {
        activitiesInFlight++;
        try
        {
            return await Workflow.ExecuteActivityAsync<T>(activity, [argument], WithSummary(RecordOptions, summary));
        }
        finally
        {
            activitiesInFlight--;
        }
    }

    private async Task RecordAsync(string activity, object argument, string summary)
    {
        activitiesInFlight++;
        try
        {
            await Workflow.ExecuteActivityAsync(activity, [argument], WithSummary(RecordOptions, summary));
        }
        finally
        {
            activitiesInFlight--;
        }
    }

    /// <summary>
    /// The round's row for the dashboard. Data PostgreSQL refuses (a cart total beyond its column) fails the activity
    /// without retry, its cause in the history; the customer's journey goes on without the row rather than failing.
    /// </summary>
    private async Task RecordEntryAsync(JourneyEntry entry, string summary)
    {
        try
        {
            await RecordAsync(JourneyActivity.RecordEntry, entry, summary);
        }
        catch (ActivityFailureException) when (Workflow.Patched(Patches.EntryFailureTolerated))
        {
            // Released runs failed here; the patch marker is written only on this path, so other histories are unchanged.
        }
    }

    private async Task<AudienceResult?> AudienceAsync(string activity, AudienceRequest request, string summary)
    {
        try
        {
            return await RecordAsync<AudienceResult>(activity, request, summary);
        }
        catch (ActivityFailureException)
        {
            // Audiences are a side track: a provider refusal must not fail the customer's journey.
            return null;
        }
    }

    private TimeSpan WindowFor(string channel)
    {
        // Released carts waited a day for an email open; histories recorded before the change replay with the day.
        if (channel == Channels.Email && !Workflow.Patched(Patches.EmailWindow12Hours))
        {
            return journey.EmailWindowV1;
        }

        return journey.WindowFor(channel);
    }

    private static ActivityOptions WithSummary(ActivityOptions template, string summary)
    {
        var options = (ActivityOptions)template.Clone();
        options.Summary = summary;
        return options;
    }

    private Result Finish(string outcome)
    {
        state.Outcome = outcome;
        state.Phase = Phases.Done;
        SetStage(Stages.Completed, null, null);
        return new Result(outcome, state.Log.Count(e => e.Status == "sent"));
    }

    private void SetStage(string stage, string? nextStep, DateTimeOffset? nextAt)
    {
        state.NextStep = nextStep;
        state.NextStepAt = nextAt;
        Workflow.CurrentDetails = nextStep is null
            ? $"**{stage}**"
            : $"**{stage}**: next {nextStep} at {nextAt:yyyy-MM-dd HH:mm} UTC";
        var updates = new List<SearchAttributeUpdate>(2);
        if (lastChannelPending)
        {
            updates.Add(SearchAttributes.LastChannel.ValueSet(state.LastChannel!));
            lastChannelPending = false;
        }

        if (state.Stage != stage)
        {
            state.Stage = stage;
            updates.Add(SearchAttributes.JourneyStage.ValueSet(stage));
        }

        if (updates.Count > 0)
        {
            Workflow.UpsertTypedSearchAttributes([.. updates]);
        }
    }

    private static string Label(string channel) => channel.Replace('_', ' ');

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0} d"
        : span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h"
        : $"{span.TotalMinutes:0} min";

    public sealed record Input
    {
        public required string CustomerId { get; init; }

        /// <summary>State carried over by continue-as-new; null on a fresh start.</summary>
        public State? Carried { get; init; }
    }

    public sealed record Result(string Outcome, int MessagesSent);

    /// <summary>One line of the journey's "why was or wasn't it sent" log.</summary>
    public sealed record LogEntry(DateTimeOffset At, string? Channel, int? Step, string Key, string Status, string? Reason, DateTimeOffset? Until);

    /// <summary>The answer of the <c>Status</c> query.</summary>
    public sealed record JourneyStatus
    {
        public required string CustomerId { get; init; }

        public required string Stage { get; init; }

        public string? NextStep { get; init; }

        public DateTimeOffset? NextStepAt { get; init; }

        public string? Device { get; init; }

        public int Items { get; init; }

        public decimal CartValue { get; init; }

        public IReadOnlyList<LogEntry> Log { get; init; } = [];

        public IReadOnlyList<string> Audiences { get; init; } = [];

        public string? Outcome { get; init; }
    }

    /// <summary>Everything the journey knows, carried across continue-as-new.</summary>
    public sealed record State
    {
        public required string CustomerId { get; init; }

        public string Phase { get; set; } = Phases.Settling;

        public string Stage { get; set; } = Stages.WaitingForCart;

        public string? NextStep { get; set; }

        public DateTimeOffset? NextStepAt { get; set; }

        public int Round { get; set; } = 1;

        public DateTimeOffset? RoundStartedAt { get; set; }

        public CartUpdated? Cart { get; set; }

        public DateTimeOffset? CartReceivedAt { get; set; }

        public int CartVersion { get; set; }

        public int CartUpdates { get; set; }

        public PurchaseCompleted? Purchase { get; set; }

        public bool Engaged { get; set; }

        public int ChainIndex { get; set; }

        public DateTimeOffset? WindowEndsAt { get; set; }

        public string? LastChannel { get; set; }

        public List<LogEntry> Log { get; set; } = [];

        public bool AudienceDecided { get; set; }

        public IReadOnlyList<string> Audiences { get; set; } = [];

        public DateTimeOffset? AudiencesAddedAt { get; set; }

        public string? AudienceKey { get; set; }

        public bool AudiencesRemoved { get; set; }

        public string? Outcome { get; set; }

        /// <summary>The state a new round starts from: the new cart, and the audience membership still running.</summary>
        public State NextRound() => new()
        {
            CustomerId = CustomerId,
            Round = Round + 1,
            Cart = Cart,
            CartReceivedAt = CartReceivedAt,
            CartVersion = CartVersion,
            RoundStartedAt = CartReceivedAt,
            AudienceDecided = false,
            Audiences = AudiencesRemoved ? [] : Audiences,
            AudiencesAddedAt = AudiencesRemoved ? null : AudiencesAddedAt,
            AudienceKey = AudiencesRemoved ? null : AudienceKey,
        };
    }

    /// <summary>
    /// Changes to the decisions of a released journey, each guarded with <c>Workflow.Patched</c> so carts in flight
    /// keep the path they started on. Remove a patch (DeprecatePatch, then delete) only when no run can replay it.
    /// </summary>
    public static class Patches
    {
        /// <summary>Email window shortened from 1 day to 12 hours.</summary>
        public const string EmailWindow12Hours = "email-window-12h";

        /// <summary>Switch, cross-journey cap and quiet hours checked by the send activity; entry recorded alongside the first send.</summary>
        public const string GateCheckedAtSend = "gate-checked-at-send";

        /// <summary>An open or click of this round's earlier message ends a deferral of the next one as engaged.</summary>
        public const string EngagementEndsDeferral = "engagement-ends-deferral";

        /// <summary>
        /// Cart updates and purchases ordered by when they happened: a late older cart update changes nothing, and a
        /// purchase before the latest cart update does not end its journey.
        /// </summary>
        public const string EventTimeOrder = "event-time-order";

        /// <summary>A journey entry PostgreSQL refuses no longer fails the journey.</summary>
        public const string EntryFailureTolerated = "entry-failure-tolerated";
    }

    /// <summary>Where a run is, so a continued run resumes at the same place.</summary>
    public static class Phases
    {
        public const string Settling = "settling";
        public const string Entering = "entering";
        public const string Chain = "chain";
        public const string Retargeting = "retargeting";
        public const string Done = "done";
    }

    /// <summary>Values of the <c>JourneyStage</c> search attribute.</summary>
    public static class Stages
    {
        public const string WaitingForCart = "waiting_for_cart";
        public const string Deferred = "deferred";
        public const string Sending = "sending";
        public const string WaitingForEngagement = "waiting_for_engagement";
        public const string Retargeting = "retargeting";
        public const string Completed = "completed";
    }
}
