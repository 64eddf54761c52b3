using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Signals;
using Microsoft.Extensions.Options;
using Npgsql;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Delivers stored events to the journeys. It runs in the Api because the Api holds the Temporal client and knows the
/// moment an event is stored (<see cref="Wake"/>), so delivery normally follows the 202 within milliseconds; several
/// Api replicas relay side by side because claims skip rows another relay has locked.
/// </summary>
/// <remarks>
/// Each customer's events go out in the order they were stored: only a customer's oldest pending event is claimed,
/// so a later event waits while an earlier one is being retried. Delivery is at least once: a crash between the
/// signal and the commit delivers that event again after restart.
/// </remarks>
public sealed class InboxRelay(
    NpgsqlDataSource dataSource,
    EventStore events,
    IJourneySignals signals,
    IOptions<InboxOptions> options,
    IOptions<TemporalOptions> temporal,
    TimeProvider time,
    ILogger<InboxRelay> logger) : BackgroundService
{
    private readonly Channel<bool> wakeUps = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks the relay to look for work now instead of at its next poll.</summary>
    public void Wake() => wakeUps.Writer.TryWrite(true);

    /// <summary>One pass: claims due events, delivers them, records each outcome; returns how many were claimed.</summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await EventStore.ClaimDueAsync(connection, transaction, settings.BatchSize, cancellationToken);
        string? outage = null;
        foreach (var pending in claimed)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            // Once Temporal has failed in this pass, the rest wait for their retry instead of each timing out too.
            if (outage is not null)
            {
                await EventStore.MarkAttemptFailedAsync(connection, transaction, pending.Id, outage, settings.Backoff(pending.Attempts), CancellationToken.None);
                InboxTelemetry.Retried.Add(1);
                continue;
            }

            using var activity = InboxTelemetry.Source.StartActivity("inbox deliver", ActivityKind.Producer);
            activity?.SetTag("event.type", pending.Type);
            activity?.SetTag("event.attempt", pending.Attempts + 1);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(settings.DeliveryTimeout);
                await DeliverAsync(pending, timeout.Token);
                await EventStore.MarkDeliveredAsync(connection, transaction, pending.Id, CancellationToken.None);
                InboxTelemetry.Delivered.Add(1, new KeyValuePair<string, object?>("event.type", pending.Type));
                InboxTelemetry.Lag.Record((time.GetUtcNow() - DateTime.SpecifyKind(pending.ReceivedAt, DateTimeKind.Utc)).TotalSeconds);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down: this event stays pending; what was delivered before it is still committed below.
                break;
            }
            catch (Exception e) when (IsPermanent(e))
            {
                activity?.SetStatus(ActivityStatusCode.Error, Describe(e));
                logger.LogError("Event {EventId} can never be delivered, marked failed: {Error}", pending.EventId, Describe(e));
                await EventStore.MarkFailedAsync(connection, transaction, pending.Id, Describe(e), CancellationToken.None);
                InboxTelemetry.Failed.Add(1);
            }
            catch (Exception e)
            {
                outage = Describe(e);
                activity?.SetStatus(ActivityStatusCode.Error, outage);
                logger.LogWarning("Event {EventId} not delivered (attempt {Attempt}), retried later: {Error}", pending.EventId, pending.Attempts + 1, outage);
                await EventStore.MarkAttemptFailedAsync(connection, transaction, pending.Id, outage, settings.Backoff(pending.Attempts), CancellationToken.None);
                InboxTelemetry.Retried.Add(1);
            }
        }

        await transaction.CommitAsync(CancellationToken.None);
        return claimed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RelayEnabled)
        {
            logger.LogInformation("Inbox relay disabled (Inbox:RelayEnabled=false): events are stored, another process delivers them.");
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await RelayOnceAsync(stoppingToken);
                if (claimed == 0)
                {
                    var counts = await events.BacklogAsync(stoppingToken);
                    InboxTelemetry.Observe(counts.Pending, counts.OldestPending is { } oldest ? time.GetUtcNow() - DateTime.SpecifyKind(oldest, DateTimeKind.Utc) : TimeSpan.Zero);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // PostgreSQL unreachable: nothing is lost (events stay pending); try again at the next poll.
                logger.LogWarning("Inbox relay pass failed: {Error}", Describe(e));
            }

            if (claimed == 0)
            {
                await IdleAsync(stoppingToken);
            }
        }
    }

    private async Task IdleAsync(CancellationToken stoppingToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        idle.CancelAfter(options.Value.PollInterval);
        try
        {
            await wakeUps.Reader.ReadAsync(idle.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(PendingEvent pending, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(pending.Payload);
        var received = EventReader.Read(document.RootElement)
            ?? throw new InvalidDataException($"Stored event of type '{pending.Type}' no longer reads as a valid event.");
        if (received.Cart is { } cart)
        {
            await signals.SignalWithStartAsync(CartSignal.For(received.CustomerId, cart, temporal.Value.TaskQueue), cancellationToken);
        }
        else if (received.Purchase is { } purchase)
        {
            // False (no journey runs) is a delivery too: the purchase is stored for attribution.
            await signals.SignalAsync(PurchaseSignal.For(received.CustomerId, purchase), cancellationToken);
        }

        // Views are stored for later journeys; profile and consent changes were applied when stored.
    }

    /// <summary>Errors that no retry can fix; everything else (unreachable, timeouts, overload) is retried.</summary>
    private static bool IsPermanent(Exception e) => e switch
    {
        InvalidDataException or JsonException => true,
        RpcException rpc => rpc.Code is RpcException.StatusCode.InvalidArgument or RpcException.StatusCode.OutOfRange
            or RpcException.StatusCode.Unimplemented or RpcException.StatusCode.AlreadyExists,
        _ => false,
    };

    // The exception type (and gRPC code) only: messages may carry payload fragments.
    private static string Describe(Exception e) => e is RpcException rpc ? $"{nameof(RpcException)} {rpc.Code}" : e.GetType().Name;
}
