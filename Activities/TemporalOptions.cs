using AbandonedCart.Workflows;

namespace AbandonedCart.Activities;

/// <summary>Section <c>Temporal</c>: where the Worker and the Api find the Temporal server.</summary>
public sealed class TemporalOptions
{
    public const string Section = "Temporal";

    public string Address { get; set; } = "localhost:7233";

    public string Namespace { get; set; } = "default";

    public string TaskQueue { get; set; } = AbandonedCartWorkflow.TaskQueue;
}
