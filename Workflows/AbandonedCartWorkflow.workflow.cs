using Temporalio.Workflows;

namespace AbandonedCart.Workflows;

/// <summary>The omnichannel abandoned-cart journey (seed 000). Workflow id: <c>abandoned-cart:{customerId}</c>.</summary>
[Workflow]
public sealed class AbandonedCartWorkflow
{
    public const string TaskQueue = "abandoned-cart";

    public static string IdFor(string customerId) => $"abandoned-cart:{customerId}";

    public sealed record Input
    {
        public required string CustomerId { get; init; }
    }

    public sealed record Result(string Outcome, int MessagesSent);

    [WorkflowRun]
    public Task<Result> RunAsync(Input input) => Task.FromResult(new Result(Outcomes.Exhausted, 0));

    [WorkflowSignal]
    public Task CartUpdatedAsync(CartUpdated update) => Task.CompletedTask;

    [WorkflowSignal]
    public Task PurchaseCompletedAsync(PurchaseCompleted purchase) => Task.CompletedTask;

    [WorkflowSignal]
    public Task EngagedAsync(Engagement engagement) => Task.CompletedTask;
}
