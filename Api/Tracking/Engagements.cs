using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Tracking;

/// <summary>Stores an engagement and tells the customer's journey, for tracking links and provider webhooks alike.</summary>
public sealed class Engagements(EngagementStore store, IJourneySignals signals, TimeProvider time, ILogger<Engagements> logger)
{
    public const string Delivered = "delivered";
    public const string Opened = "opened";
    public const string Clicked = "clicked";
    public const string Bounced = "bounced";
    public const string Unsubscribed = "unsubscribed";
    public const string Undelivered = "undelivered";

    /// <summary>A click or open from a verified tracking link.</summary>
    public async Task RecordAsync(TrackingToken token, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var now = time.GetUtcNow();
        await store.RecordAsync(
            new EngagementRecord { MessageId = token.MessageId, CustomerId = token.CustomerId, Kind = kind, OccurredAt = now },
            cancellationToken);

        // The click is stored and the customer goes on to the cart even when Temporal is down; the journey then
        // only misses this early stop, it does not send anything twice.
        try
        {
            await SignalAsync(token.CustomerId, token.Channel, kind, token.IdempotencyKey, now, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not signal {Kind} of message {MessageId} to customer {CustomerId}'s journey: {ErrorType}", kind, token.MessageId, token.CustomerId, e.GetType().Name);
        }
    }

    /// <summary>Signals an open or click (the engagements that stop a journey's chain); other kinds are only stored.</summary>
    public async Task SignalAsync(string customerId, string channel, string kind, string? messageKey, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        if (kind is not (Opened or Clicked))
        {
            return;
        }

        var engagement = new Engagement { Channel = channel, Action = kind, MessageKey = messageKey, OccurredAt = occurredAt };
        await signals.EngagedAsync(EngagementSignal.For(customerId, engagement), cancellationToken);
    }
}
