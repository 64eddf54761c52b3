using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Purchases reported by the storefront, one row per order; the dashboard attributes revenue from them.</summary>
public sealed class PurchaseStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records the order once; a repeated order id keeps the first report. True when this call stored it.</summary>
    public async Task<bool> RecordAsync(Purchase purchase, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await RecordAsync(connection, null, purchase, cancellationToken);
    }

    /// <summary>Records the order inside the caller's transaction (see the overload above).</summary>
    public static async Task<bool> RecordAsync(DbConnection connection, DbTransaction? transaction, Purchase purchase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(purchase);
        const string sql = """
            INSERT INTO purchases (order_id, customer_id, revenue, currency, occurred_at, event_id)
            VALUES (@OrderId, @CustomerId, @Revenue, @Currency, @OccurredAt, @EventId)
            ON CONFLICT (order_id) DO NOTHING
            """;
        var args = new
        {
            purchase.OrderId,
            purchase.CustomerId,
            purchase.Revenue,
            purchase.Currency,
            OccurredAt = purchase.OccurredAt.ToUniversalTime(),
            purchase.EventId,
        };
        return await connection.ExecuteAsync(new CommandDefinition(sql, args, transaction, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<IReadOnlyList<Purchase>> ForCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT order_id AS OrderId, customer_id AS CustomerId, revenue, currency, occurred_at AS OccurredAt, event_id AS EventId
            FROM purchases WHERE customer_id = @customerId ORDER BY occurred_at
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PurchaseRow>(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToPurchase())];
    }

    private sealed record PurchaseRow(string OrderId, string CustomerId, decimal Revenue, string Currency, DateTime OccurredAt, string? EventId)
    {
        public Purchase ToPurchase() => new()
        {
            OrderId = OrderId,
            CustomerId = CustomerId,
            Revenue = Revenue,
            Currency = Currency,
            OccurredAt = new DateTimeOffset(DateTime.SpecifyKind(OccurredAt, DateTimeKind.Utc)),
            EventId = EventId,
        };
    }
}

public sealed record Purchase
{
    public required string OrderId { get; init; }

    public required string CustomerId { get; init; }

    public decimal Revenue { get; init; }

    public string Currency { get; init; } = "EUR";

    public required DateTimeOffset OccurredAt { get; init; }

    public string? EventId { get; init; }
}
