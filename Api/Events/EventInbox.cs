using AbandonedCart.Activities.Storage;
using Npgsql;

namespace AbandonedCart.Api.Events;

/// <summary>
/// The durable inbox: accepted events are committed to <c>storefront_events</c> (deduplicated by event id) before the
/// storefront gets its 202, together with what they change in PostgreSQL (customer, purchase, profile, consent).
/// Delivery to the journeys is the <see cref="InboxRelay"/>'s job, so a 202 never depends on Temporal.
/// </summary>
public sealed class EventInbox(NpgsqlDataSource dataSource, InboxRelay relay)
{
    /// <summary>
    /// Stores the events in one transaction and answers, per event, whether it was new (false: its id was accepted
    /// before, or earlier in the same batch, and nothing is stored or applied again).
    /// </summary>
    public async Task<IReadOnlyList<bool>> StoreAsync(IReadOnlyList<ReceivedEvent> received, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(received);
        var firsts = received.DistinctBy(e => e.Id, StringComparer.Ordinal).ToList();
        var stored = firsts.Select(ToStored).ToList();
        IReadOnlySet<string> inserted;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            if (firsts.All(e => e.Purchase is null && e.Profile is null && e.Consent is null))
            {
                // Carts and views change nothing else: the insert alone is atomic, and one round trip.
                inserted = await EventStore.InsertAsync(connection, null, stored, cancellationToken);
            }
            else
            {
                // The event rows first: only events new to the inbox change anything else, so a repeat changes nothing.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                inserted = await EventStore.InsertAsync(connection, transaction, stored, cancellationToken);
                foreach (var e in firsts.Where(e => inserted.Contains(e.Id)))
                {
                    await ApplyAsync(connection, transaction, e, cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }
        }

        if (inserted.Count > 0)
        {
            relay.Wake();
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. received.Select(e => seen.Add(e.Id) && inserted.Contains(e.Id))];
    }

    /// <summary>
    /// Profile and consent changes take effect with the 202 rather than on delivery: the send activity reads them
    /// from PostgreSQL, so a withdrawal stops the next send even while Temporal is unreachable.
    /// </summary>
    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ReceivedEvent received, CancellationToken cancellationToken)
    {
        if (received.Purchase is { } purchase)
        {
            await PurchaseStore.RecordAsync(
                connection,
                transaction,
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

        if (received.Profile is { } profile)
        {
            if ((await CustomerStore.ApplyAsync(connection, transaction, profile, cancellationToken)).Count == 0)
            {
                await EventStore.BlankIfErasedAsync(connection, transaction, received.Id, received.CustomerId, cancellationToken);
            }
        }

        if (received.Consent is { } consent)
        {
            await CustomerStore.SetConsentAsync(connection, transaction, received.CustomerId, consent, cancellationToken);
        }
    }

    private static StorefrontEvent ToStored(ReceivedEvent received) => new()
    {
        EventId = received.Id,
        CustomerId = received.CustomerId,
        Type = received.Type,
        OccurredAt = received.OccurredAt,
        Payload = received.Payload,
    };
}
