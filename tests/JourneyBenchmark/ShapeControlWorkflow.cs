using System.Text.Json;
using AbandonedCart.Workflows;
using Temporalio.Workflows;

namespace AbandonedCart.JourneyBenchmark;

/// <summary>
/// Control for the replay benchmark: issues exactly the commands of <c>Golden/Scenarios/full-journey.json</c> (same
/// timers, activity types, patch markers and search-attribute upserts, in the same workflow tasks) with no journey
/// logic at all. Its replay time is what the SDK and core cost for that history's shape; the journey's own share is
/// the difference to <see cref="AbandonedCartWorkflow"/>.
/// </summary>
[Workflow("AbandonedCartWorkflow")]
public class ShapeControlWorkflow
{
    private static readonly ActivityOptions Options = new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) };

    [WorkflowRun]
    public async Task RunAsync(JsonElement input)
    {
        _ = input;
        await Workflow.DelayAsync(TimeSpan.FromHours(1));
        await Activity("GetSendContext");

        var entry = Activity("RecordEntry");
        _ = Workflow.Patched("gate-checked-at-send");
        var audiences = Activity("AddToAudiences");
        Stage("sending");
        var first = Activity("SendMessage");
        await Task.WhenAll(entry, audiences, first);

        Stage("waiting_for_engagement", "mobile_push");
        var audienceTimer = Workflow.DelayAsync(TimeSpan.FromDays(14));
        await Workflow.DelayAsync(TimeSpan.FromHours(1));

        Stage("sending");
        await Activity("SendMessage");
        _ = Workflow.Patched("email-window-12h");
        Stage("waiting_for_engagement", "email");
        await Workflow.DelayAsync(TimeSpan.FromHours(12));

        Stage("sending");
        await Activity("SendMessage");
        Stage("deferred");
        _ = Workflow.Patched("engagement-ends-deferral");
        await Workflow.DelayAsync(TimeSpan.FromHours(8));

        Stage("sending");
        await Activity("SendMessage");
        Stage("waiting_for_engagement", "sms");
        await Workflow.DelayAsync(TimeSpan.FromDays(1));

        await Activity("RecordOutcome");
        Stage("retargeting");
        await audienceTimer;

        await Activity("RemoveFromAudiences");
        Stage("completed");
    }

    [WorkflowSignal("CartUpdated")]
    public Task CartUpdatedAsync(JsonElement update)
    {
        _ = update;
        return Task.CompletedTask;
    }

    private static Task<JsonElement?> Activity(string name) =>
        Workflow.ExecuteActivityAsync<JsonElement?>(name, [], Options);

    private static void Stage(string stage, string? lastChannel = null)
    {
        var updates = new List<Temporalio.Workflows.SearchAttributeUpdate> { SearchAttributes.JourneyStage.ValueSet(stage) };
        if (lastChannel is not null)
        {
            updates.Insert(0, SearchAttributes.LastChannel.ValueSet(lastChannel));
        }

        Workflow.UpsertTypedSearchAttributes([.. updates]);
    }
}

/// <summary>
/// The full journey's history replayed by the journey and by <see cref="ShapeControlWorkflow"/>, side by side.
/// </summary>
[BenchmarkDotNet.Attributes.MemoryDiagnoser]
[BenchmarkDotNet.Attributes.SimpleJob(warmupCount: 10, iterationCount: 40)]
public class ShapeControlBenchmark
{
    private Temporalio.Worker.WorkflowReplayer journey = null!;
    private Temporalio.Worker.WorkflowReplayer control = null!;
    private Temporalio.Common.WorkflowHistory history = null!;

    [BenchmarkDotNet.Attributes.GlobalSetup]
    public void Setup()
    {
        history = ReplayBenchmark.LoadHistory();
        journey = new(new Temporalio.Worker.WorkflowReplayerOptions().AddWorkflow<AbandonedCartWorkflow>());
        control = new(new Temporalio.Worker.WorkflowReplayerOptions().AddWorkflow<ShapeControlWorkflow>());
    }

    [BenchmarkDotNet.Attributes.Benchmark(Baseline = true)]
    public Task Journey() => journey.ReplayWorkflowAsync(history);

    [BenchmarkDotNet.Attributes.Benchmark]
    public Task ShapeControl() => control.ReplayWorkflowAsync(history);
}
