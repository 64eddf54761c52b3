using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using Npgsql;

namespace AbandonedCart.Activities.Customers;

/// <summary>
/// Erases a customer in one transaction across every table that holds their personal data: the profile and consents,
/// raw storefront events and journey signals, the message log's rendered carts, the development outbox, and the
/// audience memberships, each turned into a removal the Worker retries until the provider confirms
/// (<c>AudienceRemovalLoop</c>). Either all of it is committed or none, and repeating it changes nothing more.
/// </summary>
public sealed class CustomerErasure(NpgsqlDataSource dataSource)
{
    /// <summary>The memberships closed by this erasure (empty when repeated); null for an unknown customer.</summary>
    public async Task<IReadOnlyList<AudienceMembership>?> EraseAsync(string customerId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await CustomerStore.EraseAsync(connection, transaction, customerId, erasedAt, cancellationToken) is not { } erased)
        {
            return null;
        }

        var closed = await AudienceStore.QueueRemovalsAsync(
            connection, transaction, customerId, audience => erased.Email is { } email ? AudienceSenders.HashEmail(audience, email) : null, erasedAt, cancellationToken);
        await EventStore.EraseCustomerAsync(connection, transaction, customerId, cancellationToken);
        await JourneySignalStore.EraseCustomerAsync(connection, transaction, customerId, cancellationToken);
        await MessageStore.EraseCustomerAsync(connection, transaction, customerId, cancellationToken);
        await OutboxStore.EraseCustomerAsync(connection, transaction, customerId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return closed;
    }
}
