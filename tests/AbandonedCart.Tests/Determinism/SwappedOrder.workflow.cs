using AbandonedCart.Tests.Engine;
using Temporalio.Workflows;

namespace AbandonedCart.Tests.Determinism;

/// <summary>Version 1 of a two-step journey: greet, then record. Not registered with the gate.</summary>
[Workflow("SwappedOrder")]
public sealed class GreetThenRecordWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(string name)
    {
        await Workflow.ExecuteActivityAsync((IProbeActivities a) => a.GreetAsync(new GreetRequest(name, 1)), new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
        await Workflow.ExecuteActivityAsync((IProbeActivities a) => a.RecordAsync(name), new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
    }
}

/// <summary>Version 2, same workflow name, steps swapped: what a careless channel-order change looks like.</summary>
[Workflow("SwappedOrder")]
public sealed class RecordThenGreetWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(string name)
    {
        await Workflow.ExecuteActivityAsync((IProbeActivities a) => a.RecordAsync(name), new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
        await Workflow.ExecuteActivityAsync((IProbeActivities a) => a.GreetAsync(new GreetRequest(name, 1)), new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
    }
}
