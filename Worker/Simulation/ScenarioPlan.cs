using AbandonedCart.Workflows;
using Temporalio.Common;

namespace AbandonedCart.Worker.Simulation;

/// <summary>A scenario event as it reaches the journey: a signal to the workflow, or a change of the world.</summary>
public sealed record PlannedEvent(DateTimeOffset At, ScenarioEvent Source, string? SignalName, object? Signal);

/// <summary>
/// How a scenario drives <see cref="AbandonedCartWorkflow"/>, shared by <c>simulate</c>, the offline engine and the
/// real-server runner: the workflow id and input, the signal-with-start of the first cart update, and every later
/// event as a signal or a world change. Signal names are the workflow's signal methods without <c>Async</c>.
/// </summary>
public sealed record ScenarioPlan
{
    public const string CartUpdatedSignal = "CartUpdated";
    public const string PurchaseCompletedSignal = "PurchaseCompleted";
    public const string EngagedSignal = "Engaged";

    public required string WorkflowId { get; init; }

    public required AbandonedCartWorkflow.Input Input { get; init; }

    /// <summary>When the workflow starts: the first cart update (its signal is the signal-with-start).</summary>
    public required DateTimeOffset StartAt { get; init; }

    public required IReadOnlyList<PlannedEvent> Events { get; init; }

    /// <summary>What the API sets at start: customer, journey and cart value.</summary>
    public required SearchAttributeCollection SearchAttributes { get; init; }

    public required string StaticSummary { get; init; }

    public static ScenarioPlan For(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var events = scenario.Events.Select((e, i) => Plan(e, i, scenario.Customer.Id)).ToList();
        var firstCart = scenario.Events.First(e => e.Type == ScenarioEvent.CartUpdated);
        var cart = (CartUpdated)events.First(e => e.Source == firstCart).Signal!;
        return new ScenarioPlan
        {
            WorkflowId = AbandonedCartWorkflow.IdFor(scenario.Customer.Id),
            Input = new AbandonedCartWorkflow.Input { CustomerId = scenario.Customer.Id },
            StartAt = firstCart.At,
            Events = events,
            SearchAttributes = new SearchAttributeCollection.Builder()
                .Set(Workflows.SearchAttributes.CustomerId, scenario.Customer.Id)
                .Set(Workflows.SearchAttributes.Journey, scenario.Journey)
                .Set(Workflows.SearchAttributes.CartValue, (double)cart.TotalValue)
                .ToSearchAttributeCollection(),
            StaticSummary = $"Customer {scenario.Customer.Id}: {cart.Items.Count} item(s), {cart.TotalValue:0.00} {cart.Currency}",
        };
    }

    private static PlannedEvent Plan(ScenarioEvent e, int index, string customerId)
    {
        var eventId = $"{customerId}:event:{index}";
        return e.Type switch
        {
            ScenarioEvent.CartUpdated => new(e.At, e, CartUpdatedSignal, new CartUpdated
            {
                EventId = eventId,
                OccurredAt = e.OccurredAt ?? e.At,
                Device = e.Device ?? Devices.Desktop,
                Items = e.Items,
                Currency = e.Currency ?? "EUR",
                Value = e.Value,
            }),
            ScenarioEvent.Purchased => new(e.At, e, PurchaseCompletedSignal, new PurchaseCompleted
            {
                EventId = eventId,
                OrderId = e.OrderId ?? "order",
                OccurredAt = e.OccurredAt ?? e.At,
                Revenue = e.Revenue ?? 0,
            }),
            ScenarioEvent.Engaged => new(e.At, e, EngagedSignal, new Engagement
            {
                Channel = e.Channel!,
                Action = e.Action ?? "clicked",
                MessageKey = e.MessageKey,
                OccurredAt = e.At,
            }),
            _ => new(e.At, e, null, null),
        };
    }
}
