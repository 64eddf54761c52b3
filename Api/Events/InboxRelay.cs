using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;
using Microsoft.Extensions.Options;
using Npgsql;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Delivers stored events to the journeys, and the journey signals stored with engagements (opens and clicks from
/// tracking links and provider webhooks). It runs in the Api because the Api holds the Temporal client and knows the
/// moment an event or engagement is stored (<see cref="Wake"/>), so delivery normally follows the answer within
/// milliseconds; several Api replicas relay side by side because claims skip rows another relay has locked.
/// </summary>
/// <remarks>
/// Each customer's events (and, separately, signals) go out in the order they were stored: only a customer's oldest
/// pending one is claimed, so a later one waits while an earlier one is being retried. Delivery is at least once: a
/// crash between the signal and the commit delivers that event again after restart.
/// </remarks>
public sealed class InboxRelay(
    NpgsqlDataSource dataSource,
    EventStore events,
    JourneySignalStore journeySignals,
    IJourneySignals signals,
    IOptions<InboxOptions> options,
    IOptions<TemporalOptions> temporal,
    TimeProvider time,
    ILogger<InboxRelay> logger) : BackgroundService
{
    private readonly Channel<bool> wakeUps = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks the relay to look for work now instead of at its next poll.</summary>
    public void Wake() => wakeUps.Writer.TryWrite(true);

    /// <summary>One pass: claims due events and journey signals, delivers them, records each outcome; returns how many were claimed.</summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await RelayLaneAsync(
            EventStore.ClaimDueAsync,
            e => new Head(e.Id, e.EventId, e.Type, e.Attempts, e.ReceivedAt),
            DeliverAsync,
            EventStore.MarkDeliveredAsync,
            EventStore.MarkAttemptFailedAsync,
            EventStore.MarkFailedAsync,
            cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            return claimed;
        }

        return claimed + await RelayLaneAsync(
            JourneySignalStore.ClaimDueAsync,
            s => new Head(s.Id, s.SignalKey, s.Kind, s.Attempts, s.ReceivedAt),
            DeliverAsync,
            JourneySignalStore.MarkDeliveredAsync,
            JourneySignalStore.MarkAttemptFailedAsync,
            JourneySignalStore.MarkFailedAsync,
            cancellationToken);
    }

    private async Task<int> RelayLaneAsync<T>(
        Func<DbConnection, DbTransaction, int, CancellationToken, Task<IReadOnlyList<T>>> claim,
        Func<T, Head> head,
        Func<T, CancellationToken, Task> deliver,
        Func<DbConnection, DbTransaction, long, CancellationToken, Task> markDelivered,
        Func<DbConnection, DbTransaction, long, string, TimeSpan, CancellationToken, Task> markAttemptFailed,
        Func<DbConnection, DbTransaction, long, string, CancellationToken, Task> markFailed,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = await claim(connection, transaction, settings.BatchSize, cancellationToken);
        string? outage = null;
        foreach (var item in claimed)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var pending = head(item);

            // Once Temporal has failed in this pass, the rest wait for their retry instead of each timing out too.
            if (outage is not null)
            {
                await markAttemptFailed(connection, transaction, pending.Id, outage, settings.Backoff(pending.Attempts), CancellationToken.None);
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
                await deliver(item, timeout.Token);
                await markDelivered(connection, transaction, pending.Id, CancellationToken.None);
                InboxTelemetry.Delivered.Add(1, new KeyValuePair<string, object?>("event.type", pending.Type));
                InboxTelemetry.Lag.Record((time.GetUtcNow() - DateTime.SpecifyKind(pending.ReceivedAt, DateTimeKind.Utc)).TotalSeconds);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down: this one stays pending; what was delivered before it is still committed below.
                break;
            }
            catch (Exception e) when (IsPermanent(e))
            {
                activity?.SetStatus(ActivityStatusCode.Error, Describe(e));
                logger.LogError("Event {EventId} can never be delivered, marked failed: {Error}", pending.Key, Describe(e));
                await markFailed(connection, transaction, pending.Id, Describe(e), CancellationToken.None);
                InboxTelemetry.Failed.Add(1);
            }
            catch (Exception e)
            {
                outage = Describe(e);
                activity?.SetStatus(ActivityStatusCode.Error, outage);
                logger.LogWarning("Event {EventId} not delivered (attempt {Attempt}), retried later: {Error}", pending.Key, pending.Attempts + 1, outage);
                await markAttemptFailed(connection, transaction, pending.Id, outage, settings.Backoff(pending.Attempts), CancellationToken.None);
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
                    var signalCounts = await journeySignals.BacklogAsync(stoppingToken);
                    var oldest = new[] { counts.OldestPending, signalCounts.OldestPending }.Min();
                    InboxTelemetry.Observe(
                        counts.Pending + signalCounts.Pending,
                        oldest is { } at ? time.GetUtcNow() - DateTime.SpecifyKind(at, DateTimeKind.Utc) : TimeSpan.Zero);
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

    private async Task DeliverAsync(PendingJourneySignal pending, CancellationToken cancellationToken)
    {
        if (pending.Kind != JourneySignalStore.Engaged)
        {
            throw new InvalidDataException($"Stored journey signal of unknown kind '{pending.Kind}'.");
        }

        var engagement = JsonSerializer.Deserialize<Engagement>(pending.Payload, JsonSerializerOptions.Web)
            ?? throw new InvalidDataException("Stored engagement signal is empty.");

        // False (no journey runs) is a delivery too: the engagement is stored for the dashboard.
        await signals.EngagedAsync(EngagementSignal.For(pending.CustomerId, engagement), cancellationToken);
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

    /// <summary>What the relay needs of a claimed row, whichever table it is in.</summary>
    private readonly record struct Head(long Id, string Key, string Type, int Attempts, DateTime ReceivedAt);
}
