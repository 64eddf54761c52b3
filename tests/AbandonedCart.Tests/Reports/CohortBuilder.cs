using Dapper;
using Npgsql;

namespace AbandonedCart.Tests.Reports;

/// <summary>Writes hand-built journey rounds, messages, engagements and purchases for one journey of a test.</summary>
/// <remarks>Customer ids are prefixed with <paramref name="customerPrefix"/> (the journey by default), so tests sharing a
/// database never see each other's customers, and two journeys can share customers when a test needs it.</remarks>
public sealed class CohortBuilder(NpgsqlDataSource dataSource, string journey, string? customerPrefix = null)
{
    private int sequence;

    public string Journey => journey;

    public string Customer(string name) => $"{customerPrefix ?? journey}:{name}";

    public async Task<string> EntryAsync(string customer, DateTimeOffset enteredAt, bool holdout = false, decimal cartValue = 100m)
    {
        var key = $"{journey}:entry:{Interlocked.Increment(ref sequence)}";
        await using var conn = await dataSource.OpenConnectionAsync();
        await conn.ExecuteAsync(
            """
            insert into journey_entries (entry_key, customer_id, journey, workflow_id, entered_at, holdout, cart_value)
            values (@key, @customer, @journey, @key, @enteredAt, @holdout, @cartValue)
            """,
            new { key, customer = Customer(customer), journey, enteredAt = enteredAt.UtcDateTime, holdout, cartValue });
        return key;
    }

    /// <summary>The common story: a round, one sent message, one engagement with it and then a purchase.</summary>
    public async Task<string> EngagedPurchaseAsync(string customer, DateTimeOffset enteredAt, string kind, TimeSpan engagedAfter, decimal revenue, TimeSpan purchasedAfter)
    {
        var entry = await EntryAsync(customer, enteredAt);
        var message = await MessageAsync(entry, customer, "email", 1, enteredAt);
        await EngagementAsync(message, customer, kind, enteredAt + engagedAfter);
        await PurchaseAsync(customer, revenue, enteredAt + purchasedAfter);
        return entry;
    }

    public async Task<long> MessageAsync(string entryKey, string customer, string channel, int step, DateTimeOffset sentAt, string status = "sent")
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<long>(
            """
            insert into messages (idempotency_key, customer_id, journey, entry_key, channel, step, status, sent_at, created_at)
            values (@key, @customer, @journey, @entryKey, @channel, @step, @status, @sentAt, @sentAt)
            returning id
            """,
            new { key = $"{entryKey}:{step}:{channel}", customer = Customer(customer), journey, entryKey, channel, step, status, sentAt = sentAt.UtcDateTime });
    }

    public async Task EngagementAsync(long messageId, string customer, string kind, DateTimeOffset occurredAt)
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        await conn.ExecuteAsync(
            "insert into engagements (message_id, customer_id, kind, occurred_at) values (@messageId, @customer, @kind, @occurredAt)",
            new { messageId, customer = Customer(customer), kind, occurredAt = occurredAt.UtcDateTime });
    }

    public async Task PurchaseAsync(string customer, decimal revenue, DateTimeOffset occurredAt)
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        await conn.ExecuteAsync(
            "insert into purchases (order_id, customer_id, revenue, occurred_at) values (@orderId, @customer, @revenue, @occurredAt)",
            new { orderId = $"{journey}:order:{Interlocked.Increment(ref sequence)}", customer = Customer(customer), revenue, occurredAt = occurredAt.UtcDateTime });
    }
}
