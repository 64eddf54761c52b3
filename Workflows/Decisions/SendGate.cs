namespace AbandonedCart.Workflows.Decisions;

/// <summary>The answer of <see cref="SendGate"/>: send now, or not before <see cref="Until"/> for <see cref="Reason"/>.</summary>
public sealed record GateDecision(DateTimeOffset Until, string? Reason)
{
    public bool SendNow => Reason is null;
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
