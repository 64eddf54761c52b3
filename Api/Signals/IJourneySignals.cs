using System.Globalization;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Signals;

/// <summary>How storefront events reach the journeys: Temporal in production, a recorder in the API tests.</summary>
public interface IJourneySignals
{
    /// <summary>Signals the customer's journey, starting it when none runs (signal-with-start, existing run kept).</summary>
    Task SignalWithStartAsync(CartSignal signal, CancellationToken cancellationToken);

    /// <summary>Signals the customer's running journey; false when none runs (nothing to end).</summary>
    Task<bool> SignalAsync(PurchaseSignal signal, CancellationToken cancellationToken);

    /// <summary>Tells the customer's running journey about an open, click or delivery; false when none runs.</summary>
    Task<bool> EngagedAsync(EngagementSignal signal, CancellationToken cancellationToken);
}

/// <summary>A cart update for the customer's abandoned-cart journey, with what the run is started with.</summary>
public sealed record CartSignal
{
    public required string WorkflowId { get; init; }

    public required string TaskQueue { get; init; }

    public required AbandonedCartWorkflow.Input Input { get; init; }

    public required CartUpdated Update { get; init; }

    public string Journey => Journeys.AbandonedCart;

    /// <summary>Shown on the run in the Temporal Web UI; the customer id only, no personal data.</summary>
    public string Summary => string.Create(
        CultureInfo.InvariantCulture,
        $"Customer {Input.CustomerId}: {Update.Items.Sum(i => i.Quantity)} item(s), {Update.TotalValue:0.00} {Update.Currency}");

    public static CartSignal For(string customerId, CartUpdated update, string taskQueue) => new()
    {
        WorkflowId = AbandonedCartWorkflow.IdFor(customerId),
        TaskQueue = taskQueue,
        Input = new AbandonedCartWorkflow.Input { CustomerId = customerId },
        Update = update,
    };
}

/// <summary>A purchase for the customer's running journey.</summary>
public sealed record PurchaseSignal
{
    public required string WorkflowId { get; init; }

    public required PurchaseCompleted Purchase { get; init; }

    public static PurchaseSignal For(string customerId, PurchaseCompleted purchase) =>
        new() { WorkflowId = AbandonedCartWorkflow.IdFor(customerId), Purchase = purchase };
}

/// <summary>An open, click or delivery for the customer's running journey.</summary>
public sealed record EngagementSignal
{
    public required string WorkflowId { get; init; }

    public required Engagement Engagement { get; init; }

    public static EngagementSignal For(string customerId, Engagement engagement) =>
        new() { WorkflowId = AbandonedCartWorkflow.IdFor(customerId), Engagement = engagement };
}
