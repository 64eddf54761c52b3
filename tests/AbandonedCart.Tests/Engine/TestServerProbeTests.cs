using AbandonedCart.Tests.Scenarios;
using AbandonedCart.Worker.Simulation;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Worker;

namespace AbandonedCart.Tests.Engine;

/// <summary>The engine's probe workflow on a real test server must do what the engine says it does.</summary>
public class TestServerProbeTests
{
    [TestServerFact]
    public async Task Probe_OnTestServer_CallsSameActivitiesAsEngine()
    {
        await using var environment = await TemporalTestServer.StartAsync();
        var activities = new ProbeActivities();
        var taskQueue = $"probe-{Guid.NewGuid():N}";
        using var worker = new TemporalWorker(
            environment.Client,
            new TemporalWorkerOptions(taskQueue).AddWorkflow<ProbeWorkflow>().AddAllActivities(activities));

        var result = await worker.ExecuteAsync(() => environment.Client.ExecuteWorkflowAsync(
            (ProbeWorkflow wf) => wf.RunAsync(new ProbeWorkflow.Input("ana")),
            new WorkflowOptions($"probe-{Guid.NewGuid():N}", taskQueue)));
        var engine = new JourneyEngine(new() { Workflows = [typeof(ProbeWorkflow)], ActivityContracts = [typeof(IProbeActivities)] });
        var offline = await engine.RunAsync(JourneyScript.For<ProbeWorkflow>(
            "probe", new ProbeWorkflow.Input("ana"), DateTimeOffset.UtcNow, c => c.Name == "Greet" ? $"hello {c.Arg<GreetRequest>().Name}" : null));

        Assert.Equal(offline.Result<ProbeWorkflow.Result>(), result);
        Assert.Equal(offline.Activities.Select(a => a.Name), activities.Calls);
    }

    private sealed class ProbeActivities : IProbeActivities
    {
        public List<string> Calls { get; } = [];

        [Activity]
        public Task<string> GreetAsync(GreetRequest request)
        {
            Calls.Add("Greet");
            return Task.FromResult($"hello {request.Name}");
        }

        [Activity]
        public Task RecordAsync(string note)
        {
            Calls.Add("Record");
            return Task.CompletedTask;
        }
    }
}
