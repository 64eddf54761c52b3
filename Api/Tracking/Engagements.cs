using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Events;
using AbandonedCart.Workflows;
using Npgsql;

namespace AbandonedCart.Api.Tracking;

/// <summary>
/// Stores an engagement and, for opens and clicks, the signal that tells the customer's journey, for tracking links
/// and provider webhooks alike. Both are written in one transaction and the <see cref="InboxRelay"/> delivers the
/// signal, so the redirect, the pixel or the webhook's 2xx never waits for Temporal, and the journey still hears of
/// the engagement, once, when Temporal is back.
/// </summary>
public sealed class Engagements(NpgsqlDataSource dataSource, InboxRelay relay, TimeProvider time)
{
    public const string Delivered = "delivered";
    public const string Opened = "opened";
    public const string Clicked = "clicked";
    public const string Bounced = "bounced";
    public const string Unsubscribed = "unsubscribed";
    public const string Undelivered = "undelivered";

    /// <summary>
    /// A click or open from a verified tracking link. Only the first of each kind per message counts (is stored and
    /// told to the journey): a link opened again, forwarded or replayed changes nothing. False for such a repeat.
    /// </summary>
    public Task<bool> RecordAsync(TrackingToken token, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var engagement = new EngagementRecord
        {
            MessageId = token.MessageId,
            CustomerId = token.CustomerId,
            Kind = kind,
            OccurredAt = time.GetUtcNow(),
            ProviderEventId = TrackingEventId(token.MessageId, kind),
        };
        return RecordAsync(engagement, token.Channel, token.IdempotencyKey, null, cancellationToken);
    }

    /// <summary>The dedupe key of a tracking-link engagement: one per message and kind.</summary>
    public static string TrackingEventId(long messageId, string kind) =>
        string.Create(CultureInfo.InvariantCulture, $"tracking:{kind}:{messageId}");

    /// <summary>
    /// Stores <paramref name="engagement"/>, what changes with it (<paramref name="alsoApply"/>: consent, address
    /// validity) and, for an open or click, its pending journey signal, all in one transaction. False when the
    /// engagement's provider event id was stored before (a webhook delivered again): then nothing changes and no
    /// second signal is queued.
    /// </summary>
    public async Task<bool> RecordAsync(
        EngagementRecord engagement,
        string channel,
        string? messageKey,
        Func<DbConnection, DbTransaction, CancellationToken, Task>? alsoApply,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engagement);
        bool queued;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

            // The engagement row first: it is the dedupe mark, so a repeat changes nothing else either.
            if (await EngagementStore.InsertAsync(connection, transaction, engagement, cancellationToken) is not { } id)
            {
                return false;
            }

            if (alsoApply is not null)
            {
                await alsoApply(connection, transaction, cancellationToken);
            }

            queued = SignalFor(engagement, id, channel, messageKey) is { } signal
                && await JourneySignalStore.InsertAsync(connection, transaction, signal, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (queued)
        {
            relay.Wake();
        }

        return true;
    }

    /// <summary>
    /// The journey signal of an open or click (the engagements that stop a journey's chain); null for other kinds,
    /// which are only stored. Keyed by the provider event id, else by the engagement row: one signal per engagement.
    /// </summary>
    public static JourneySignalRow? SignalFor(EngagementRecord engagement, long engagementId, string channel, string? messageKey)
    {
        ArgumentNullException.ThrowIfNull(engagement);
        if (engagement.Kind is not (Opened or Clicked))
        {
            return null;
        }

        var signal = new Engagement { Channel = channel, Action = engagement.Kind, MessageKey = messageKey, OccurredAt = engagement.OccurredAt };
        return new JourneySignalRow
        {
            SignalKey = engagement.ProviderEventId ?? string.Create(CultureInfo.InvariantCulture, $"engagement:{engagementId}"),
            CustomerId = engagement.CustomerId,
            Kind = JourneySignalStore.Engaged,
            Payload = JsonSerializer.Serialize(signal, JsonSerializerOptions.Web),
        };
    }
}
