using AbandonedCart.Activities;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Signals;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Accepts storefront events: stores them (deduplicated by event id) and delivers them to the journeys.
/// An event that is stored but could not be delivered stays <c>pending</c> in <c>storefront_events</c> for a later
/// delivery, so the storefront's 202 holds even while Temporal is down.
/// </summary>
public sealed class EventInbox(
    EventStore events,
    CustomerStore customers,
    PurchaseStore purchases,
    IJourneySignals signals,
    IOptions<TemporalOptions> temporal,
    ILogger<EventInbox> logger)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>Stores the event; false when its id was accepted before (then nothing is stored or delivered again).</summary>
    public async Task<bool> StoreAsync(ReceivedEvent received, string payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(received);

        // Idempotent writes first, the event row last: a failure before the event row gets no 2xx, and the
        // storefront's retry repeats these writes harmlessly; once the event row exists, its id is taken.
        await customers.EnsureExistsAsync(received.CustomerId, cancellationToken);
        if (received.Purchase is { } purchase)
        {
            await purchases.RecordAsync(
                new Purchase
                {
                    OrderId = purchase.OrderId,
                    CustomerId = received.CustomerId,
                    Revenue = purchase.Revenue,
                    Currency = received.Currency,
                    OccurredAt = purchase.OccurredAt,
                    EventId = received.Id,
                },
                cancellationToken);
        }

        return await events.TryInsertAsync(
            new StorefrontEvent
            {
                EventId = received.Id,
                CustomerId = received.CustomerId,
                Type = received.Type,
                OccurredAt = received.OccurredAt,
                Payload = payload,
            },
            cancellationToken);
    }

    /// <summary>Signals the customer's journey and marks the event delivered; on failure it stays pending.</summary>
    public async Task DeliverAsync(ReceivedEvent received, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(received);
        try
        {
            if (received.Cart is { } cart)
            {
                await signals.SignalWithStartAsync(CartSignal.For(received.CustomerId, cart, temporal.Value.TaskQueue), cancellationToken);
            }
            else if (received.Purchase is { } purchase)
            {
                await signals.SignalAsync(PurchaseSignal.For(received.CustomerId, purchase), cancellationToken);
            }

            await events.MarkDeliveredAsync(received.Id, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception type only: messages may carry payload fragments.
            logger.LogWarning("Event {EventId} for customer {CustomerId} stored but not delivered yet: {ErrorType}", received.Id, received.CustomerId, e.GetType().Name);
            await events.MarkAttemptFailedAsync(received.Id, e.GetType().Name, RetryAfter, CancellationToken.None);
        }
    }
}
