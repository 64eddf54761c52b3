namespace AbandonedCart.Workflows.Decisions;

/// <summary>The answer of <see cref="SendGate"/>: send now, or not before <see cref="Until"/> for <see cref="Reason"/>.</summary>
public sealed record GateDecision(DateTimeOffset Until, string? Reason)
{
    public bool SendNow => Reason is null;
}

/// <summary>
/// The rules of <see cref="SendGate.Decide(DateTimeOffset, SendContext, SendGatePolicy)"/>, taken from a journey's settings
/// (<see cref="AbandonedCartJourney.Gate"/>) and carried in a <see cref="SendRequest"/> so the send activity applies the
/// journey's own values at send time.
/// </summary>
public sealed record SendGatePolicy
{
    /// <summary>No message while the customer got a message from a different journey this recently (deferred).</summary>
    public required TimeSpan CrossJourneyCap { get; init; }

    /// <summary>Start of quiet hours, local time of the customer.</summary>
    public required TimeOnly QuietFrom { get; init; }

    /// <summary>End of quiet hours, local time of the customer.</summary>
    public required TimeOnly QuietUntil { get; init; }

    /// <summary>Time zone for quiet hours when the customer's profile has none.</summary>
    public required string DefaultTimeZone { get; init; }
}

/// <summary>Frequency caps and quiet hours: when may the next message of a journey go out.</summary>
public static class SendGate
{
    /// <summary>True when the customer got a message of this journey within the journey cap before the first send.</summary>
    public static bool IsCapped(DateTimeOffset firstSendAt, SendContext context, AbandonedCartJourney journey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(journey);
        return context.LastJourneyMessageAt is { } last && last > firstSendAt - journey.JourneyCap;
    }

    /// <summary>
    /// Decides whether a message due at <paramref name="now"/> may go out now. The cross-journey cap is applied first
    /// and quiet hours on the time it yields, so a deferred message never lands inside quiet hours.
    /// </summary>
    public static GateDecision Decide(DateTimeOffset now, SendContext context, AbandonedCartJourney journey)
    {
        ArgumentNullException.ThrowIfNull(journey);
        return Decide(now, context, journey.Gate);
    }

    /// <summary>
    /// The send activity's check at send time: <c>stopped</c> while the journey switch is off, <c>deferred</c> while the
    /// cross-journey cap or quiet hours forbid sending, null when the message may go now.
    /// </summary>
    public static SendResult? RefusalAt(DateTimeOffset now, SendContext context, SendGatePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.JourneyEnabled)
        {
            return SendResult.Stopped();
        }

        var decision = Decide(now, context, policy);
        return decision.SendNow ? null : SendResult.Deferred(decision.Reason!, decision.Until);
    }

    /// <inheritdoc cref="Decide(DateTimeOffset, SendContext, AbandonedCartJourney)"/>
    public static GateDecision Decide(DateTimeOffset now, SendContext context, SendGatePolicy journey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(journey);
        var at = now;
        string? reason = null;
        if (context.LastOtherJourneyMessageAt is { } other && other + journey.CrossJourneyCap > at)
        {
            at = other + journey.CrossJourneyCap;
            reason = Reasons.CrossJourneyCap;
        }

        var zone = QuietHours.ResolveZone(context.TimeZone, journey.DefaultTimeZone);
        var allowed = QuietHours.NextAllowed(at, zone, journey.QuietFrom, journey.QuietUntil);
        if (allowed > at)
        {
            at = allowed;
            reason ??= Reasons.QuietHours;
        }

        return new GateDecision(at, reason);
    }
}
