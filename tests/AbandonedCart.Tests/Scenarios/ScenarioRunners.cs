using AbandonedCart.Tests.Determinism;
using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Temporalio.Worker;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// What a scenario did, whichever runner ran it. <see cref="Run"/> is the engine's record (offline only);
/// <see cref="ServerHistories"/> the histories the server recorded, one per run (server runners only).
/// </summary>
public sealed record ScenarioResult(IReadOnlyList<TimelineEntry> Timeline, JourneyRun? Run)
{
    public IReadOnlyList<WorkflowHistory> ServerHistories { get; init; } = [];

    /// <summary>The timeline as JSON lines, without <c>wait</c> lines (only the offline engine sees timers).</summary>
    public IReadOnlyList<string> Lines => Timeline.Where(e => e.Kind != "wait").Select(TimelineWriter.ToLine).ToList();

    public IEnumerable<TimelineEntry> Sends => Timeline.Where(e => e.Kind == "send");

    public string? Outcome => Timeline.LastOrDefault(e => e.Kind == "end")?.Outcome;
}

/// <summary>Runs a scenario through the real journey code: offline on the engine, or on a Temporal test server.</summary>
public interface IScenarioRunner
{
    /// <summary>Runs <paramref name="scenario"/>; with <paramref name="golden"/>, the offline runner keeps its history as golden history <c>Scenarios/{golden}</c>.</summary>
    Task<ScenarioResult> RunAsync(Scenario scenario, string? golden = null);
}

/// <summary>The runners scenario theories take by name (theory data must be serializable).</summary>
public static class ScenarioRunners
{
    public const string Offline = "offline";
    public const string TestServer = "test-server";
    public const string InProcess = "in-process";

    private static readonly Lazy<JourneyEngine> Engine = new(() => ScenarioSimulation.CreateEngine());

    public static IScenarioRunner Get(string name) => name switch
    {
        Offline => new OfflineScenarioRunner(Engine.Value),
        TestServer => new TestServerScenarioRunner(),
        // STANDIN_CROSS_CHECK=1 also compares each run's history with the offline engine's (docs/in-process-temporal.md:
        // one difference in activity/task interleaving is still open, so it is not on by default).
        InProcess => Environment.GetEnvironmentVariable("STANDIN_CROSS_CHECK") == "1"
            ? new CrossCheckingScenarioRunner(new TestServerScenarioRunner(), new OfflineScenarioRunner(Engine.Value))
            : new TestServerScenarioRunner(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}

public sealed class OfflineScenarioRunner(JourneyEngine engine) : IScenarioRunner
{
    public async Task<ScenarioResult> RunAsync(Scenario scenario, string? golden = null)
    {
        var outcome = await ScenarioSimulation.RunAsync(engine, scenario);
        if (golden is not null)
        {
            for (var i = 0; i < outcome.Run.Histories.Count; i++)
            {
                GoldenHistories.Keep(outcome.Run.Histories.Count == 1 ? $"Scenarios/{golden}" : $"Scenarios/{golden}-run{i + 1}", outcome.Run.Histories[i]);
            }
        }

        return new ScenarioResult(outcome.Timeline, outcome.Run);
    }
}

/// <summary>
/// Runs the scenario on a time-skipping test server: the real workflow and the fake activities on a worker with a
/// unique task queue, the first cart update as signal-with-start, and time moved with <c>DelayAsync</c> to each
/// scripted event. The in-process stand-in's clock starts two days before the scenario, so nothing is shifted (a
/// shift moves a scenario across or away from a daylight-saving change); a real test server's clock cannot go back to
/// the scenario's start, so there the scenario is shifted forward by whole days and the timeline shifted back.
/// </summary>
public sealed class TestServerScenarioRunner : IScenarioRunner
{
    public async Task<ScenarioResult> RunAsync(Scenario scenario, string? golden = null)
    {
        await using var environment = await TemporalTestServer.StartAsync(scenario.Start.AddDays(-2));
        var serverNow = new DateTimeOffset(await environment.GetCurrentTimeAsync(), TimeSpan.Zero);
        var shift = TimeSpan.FromDays(Math.Max(0, Math.Ceiling((serverNow - scenario.Start).TotalDays) + 1));
        var shifted = scenario.ShiftedBy(shift);
        var world = new ScenarioWorld(shifted);
        var plan = ScenarioPlan.For(shifted);
        var taskQueue = $"scenario-{Guid.NewGuid():N}";
        await RegisterSearchAttributesAsync(environment);
        using var worker = new TemporalWorker(
            environment.Client,
            new TemporalWorkerOptions(taskQueue)
            {
                // One activity at a time, taken in the order the journey scheduled them: the timeline of activities
                // that run at the same instant (audiences and the first message) is then the offline engine's order.
                MaxConcurrentActivities = 1,
            }.AddWorkflow<AbandonedCartWorkflow>().AddAllActivities(new ScenarioActivities(world)));
        IReadOnlyList<WorkflowHistory> histories = [];
        await worker.ExecuteAsync(async () =>
        {
            var startSignal = plan.Events.First(e => e.SignalName == ScenarioPlan.CartUpdatedSignal);
            foreach (var change in plan.Events.TakeWhile(e => e != startSignal).Where(e => e.SignalName is null))
            {
                world.Change(change.Source);
            }

            await DelayUntilAsync(environment, plan.StartAt);
            var handle = await environment.Client.StartWorkflowAsync(
                (AbandonedCartWorkflow wf) => wf.RunAsync(plan.Input),
                new(plan.WorkflowId, taskQueue)
                {
                    StartSignal = startSignal.SignalName,
                    StartSignalArgs = [startSignal.Signal],
                    TypedSearchAttributes = plan.SearchAttributes,
                    StaticSummary = plan.StaticSummary,
                });
            foreach (var planned in plan.Events.SkipWhile(e => e != startSignal).Skip(1))
            {
                await DelayUntilAsync(environment, planned.At);
                if (planned.SignalName is null)
                {
                    world.Change(planned.Source);
                    continue;
                }

                try
                {
                    await handle.SignalAsync(planned.SignalName, [planned.Signal]);
                }
                catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
                {
                    // The journey already ended; the engine drops late signals the same way.
                }
            }

            var result = await handle.GetResultAsync<AbandonedCartWorkflow.Result>();
            histories = await FetchRunsAsync(environment.Client, plan.WorkflowId, (await environment.Client.GetWorkflowHandle(plan.WorkflowId).DescribeAsync()).RunId);

            var description = await handle.DescribeAsync();
            world.End(new DateTimeOffset(description.CloseTime ?? serverNow.UtcDateTime, TimeSpan.Zero), result.Outcome);
        });

        var timeline = world.Timeline.Select(e => e with { Time = e.Time - shift, UntilTime = e.UntilTime - shift }).ToList();
        return new ScenarioResult(timeline, null) { ServerHistories = histories };
    }

    /// <summary>Every run of the journey, first to last, following continue-as-new back from the last run.</summary>
    private static async Task<IReadOnlyList<WorkflowHistory>> FetchRunsAsync(ITemporalClient client, string workflowId, string? lastRunId)
    {
        var histories = new List<WorkflowHistory>();
        var runId = lastRunId;
        while (!string.IsNullOrEmpty(runId))
        {
            var history = await client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync();
            histories.Insert(0, history);
            runId = history.Events.First().WorkflowExecutionStartedEventAttributes.ContinuedExecutionRunId;
        }

        return histories;
    }

    /// <summary>The journey upserts custom search attributes; a server that does not know them would fail its tasks.</summary>
    private static async Task RegisterSearchAttributesAsync(WorkflowEnvironment environment)
    {
        var request = new AddSearchAttributesRequest { Namespace = environment.Client.Options.Namespace };
        foreach (var key in new SearchAttributeKey[]
        {
            SearchAttributes.CustomerId, SearchAttributes.Journey, SearchAttributes.CartValue, SearchAttributes.JourneyStage, SearchAttributes.LastChannel,
        })
        {
            request.SearchAttributes[key.Name] = key.ValueType;
        }

        try
        {
            await environment.Client.Connection.OperatorService.AddSearchAttributesAsync(request);
        }
        catch (RpcException)
        {
            // Some test server versions accept any attribute and do not serve the operator API; nothing to register there.
        }
    }

    private static async Task DelayUntilAsync(WorkflowEnvironment environment, DateTimeOffset at)
    {
        var now = new DateTimeOffset(await environment.GetCurrentTimeAsync(), TimeSpan.Zero);
        if (at > now)
        {
            await environment.DelayAsync(at - now);
        }
    }
}
