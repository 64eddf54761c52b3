using AbandonedCart.Tests.Determinism;
using AbandonedCart.Worker.Simulation;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace AbandonedCart.Tests.Engine;

public class JourneyEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static readonly JourneyEngine Engine = new(new()
    {
        Workflows = [typeof(ProbeWorkflow), typeof(ProbeFailingWorkflow), typeof(ProbeBrokenWorkflow)],
        ActivityContracts = [typeof(IProbeActivities)],
    });

    private static object? Answer(ActivityCall call) => call.Name switch
    {
        "Greet" => $"hello {call.Arg<GreetRequest>().Name} #{call.Arg<GreetRequest>().Round}",
        "Record" => null,
        _ => throw new InvalidOperationException(call.Name),
    };

    [Fact]
    public async Task RunAsync_SignalBeforeTimeout_RecordsActivitiesTimersSignalAndResult()
    {
        var script = JourneyScript.For<ProbeWorkflow>("probe-1", new ProbeWorkflow.Input("ana"), T0, Answer) with
        {
            Happenings = [JourneyHappening.Signal(T0.AddMinutes(20), "Poke", "bob")],
        };

        var run = await Engine.RunAsync(script);

        var calls = run.Activities.ToList();
        Assert.Equal(["Greet", "Record"], calls.Select(c => c.Name));
        Assert.Equal(new GreetRequest("ana", 1), calls[0].Arg<GreetRequest>());
        Assert.Equal(T0, calls[0].At);
        Assert.Equal("hello ana #1", calls[0].Answer);
        Assert.Equal("poked by bob", calls[1].Arg<string>());
        Assert.Equal(T0.AddMinutes(20), calls[1].At);
        var timer = Assert.Single(run.Timers);
        Assert.Equal((T0, TimeSpan.FromHours(1), "waiting 1 h for a poke"), (timer.At, timer.Duration, timer.Summary));
        Assert.Contains(run.Steps, s => s is TimerCanceled { Seq: 1 } c && c.At == T0.AddMinutes(20));
        Assert.Equal(new ProbeWorkflow.Result("hello ana #1", "bob", 1, true), run.Result<ProbeWorkflow.Result>());
        Assert.Equal(T0.AddMinutes(20), run.EndedAt);
        Assert.True(run.Closed);
    }

    [Fact]
    public async Task RunAsync_NoSignal_TimerFiresAndGraceTimerRunsInVirtualTime()
    {
        var run = await Engine.RunAsync(JourneyScript.For<ProbeWorkflow>("probe-2", new ProbeWorkflow.Input("ana"), T0, Answer));

        Assert.Equal(
            [(T0, "waiting 1 h for a poke"), (T0.AddHours(1), "30 min grace")],
            run.Timers.Select(t => (t.At, t.Summary)));
        Assert.Contains(run.Steps, s => s is TimerFired { Seq: 1 } f && f.At == T0.AddHours(1));
        var record = run.CallsTo("Record").Single();
        Assert.Equal(("not poked", T0.AddHours(1.5)), (record.Arg<string>(), record.At));
        Assert.Null(run.Result<ProbeWorkflow.Result>().PokedBy);
    }

    [Fact]
    public async Task RunAsync_PatchUpsertsAndDetails_AreRecordedAndVisible()
    {
        var run = await Engine.RunAsync(JourneyScript.For<ProbeWorkflow>("probe-3", new ProbeWorkflow.Input("ana"), T0, Answer) with
        {
            Happenings = [JourneyHappening.Signal(T0.AddMinutes(5), "Poke", "bob")],
        });

        Assert.Equal("probe-greets-first", Assert.Single(run.Steps.OfType<PatchRecorded>()).PatchId);
        Assert.Equal(["\"greeting\"", "\"waiting\""], run.Steps.OfType<SearchAttributesUpserted>().Select(u => u.Values["ProbeStage"]));
        Assert.Equal("waiting", run.SearchAttributes.Get(ProbeWorkflow.Stage));
        Assert.Equal(["round"], Assert.Single(run.Steps.OfType<MemoUpserted>()).Keys);
        Assert.Equal("greeting ana", run.CurrentDetails);
        Assert.Equal("done", run.Query<string>("Status"));
        Assert.All(run.Activities, a => Assert.False(string.IsNullOrEmpty(a.Summary)));
        Assert.All(run.Timers, t => Assert.False(string.IsNullOrEmpty(t.Summary)));
    }

    [Fact]
    public async Task RunAsync_ContinueAsNew_StartsNewRunsWithNewInput()
    {
        var run = await Engine.RunAsync(JourneyScript.For<ProbeWorkflow>("probe-4", new ProbeWorkflow.Input("ana", Rounds: 3), T0, Answer) with
        {
            Happenings = [JourneyHappening.Signal(T0.AddMinutes(10), "Poke", "bob")],
        });

        Assert.Equal(2, run.ContinueAsNewCount);
        Assert.Equal(3, run.Histories.Count);
        Assert.Equal([1, 2, 3], run.CallsTo("Greet").Select(c => c.Arg<GreetRequest>().Round));
        Assert.Equal([1, 2, 3], run.CallsTo("Greet").Select(c => c.Run));
        Assert.Equal(3, run.Result<ProbeWorkflow.Result>().Round);
        Assert.Equal(run.Histories.Max(h => h.Events.Count), run.LargestRunEventCount);
        Assert.Equal(T0.AddHours(1.5).AddMinutes(10 + 90), run.EndedAt);
    }

    [Fact]
    public async Task RunAsync_FinalHistories_ReplayCleanly()
    {
        var run = await Engine.RunAsync(JourneyScript.For<ProbeWorkflow>("probe-5", new ProbeWorkflow.Input("ana", Rounds: 2), T0, Answer) with
        {
            Happenings = [JourneyHappening.Signal(T0.AddMinutes(10), "Poke", "bob")],
        });

        GoldenHistories.Keep("Engine/probe-continue-as-new-run1", run.Histories[0]);
        GoldenHistories.Keep("Engine/probe-continue-as-new-run2", run.Histories[1]);
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<ProbeWorkflow>());
        foreach (var history in run.Histories)
        {
            var result = await replayer.ReplayWorkflowAsync(history).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Null(result.ReplayFailure);
        }
    }

    [Fact]
    public async Task RunAsync_ActivityThrows_WorkflowSeesActivityFailure()
    {
        var run = await Engine.RunAsync(JourneyScript.For<ProbeFailingWorkflow>(
            "probe-6", "ana", T0, _ => throw new ApplicationFailureException("provider down", errorType: "Down")));

        var failed = Assert.IsType<WorkflowFailed>(run.Steps[^1]);
        Assert.Equal(("greeting failed: provider down", "GreetingFailed"), (failed.Message, failed.ErrorType));
        Assert.Equal("provider down", run.Activities.Single().Failure);
    }

    [Fact]
    public async Task RunAsync_WorldChangeWithoutSignal_IsSeenByLaterActivities()
    {
        var greeting = "hello";
        var script = JourneyScript.For<ProbeWorkflow>("probe-7", new ProbeWorkflow.Input("ana"), T0, call =>
            call.Name == "Greet" ? greeting : null) with
        {
            Happenings =
            [
                JourneyHappening.WorldChange(T0.AddMinutes(-1), "greeting changed", () => greeting = "ahoj"),
                JourneyHappening.Signal(T0.AddMinutes(5), "Poke", "bob"),
            ],
        };

        var run = await Engine.RunAsync(script);

        Assert.Equal("ahoj", run.Result<ProbeWorkflow.Result>().Greeting);
        Assert.Contains(run.Steps, s => s is WorldChanged { Description: "greeting changed" });
    }

    [Fact]
    public async Task RunAsync_WorkflowTaskFails_ThrowsNamingTimeAndCause()
    {
        var error = await Assert.ThrowsAsync<JourneyEngineException>(() =>
            Engine.RunAsync(JourneyScript.For<ProbeBrokenWorkflow>("probe-8", "ana", T0, _ => null)));

        Assert.Contains("2026-03-02T10:01:00", error.Message, StringComparison.Ordinal);
        Assert.Contains("bug while handling ana", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NothingLeftToHappen_ReturnsOpenRun()
    {
        // The storm workflow waits for signals forever; with one bump and no stop it is left waiting.
        var engine = new JourneyEngine(new() { Workflows = [typeof(StormWorkflow)] });

        var run = await engine.RunAsync(JourneyScript.For<StormWorkflow>("storm-open", new StormWorkflow.Input(0, 100), T0, _ => null) with
        {
            Happenings = [JourneyHappening.Signal(T0.AddMinutes(3), "Bump", 1)],
        });

        Assert.False(run.Closed);
        Assert.Equal(T0.AddMinutes(3), run.EndedAt);
    }

    [Fact]
    public async Task RunAsync_Observer_SeesEveryStepInOrder()
    {
        var seen = new List<JourneyStep>();

        var run = await Engine.RunAsync(JourneyScript.For<ProbeWorkflow>("probe-10", new ProbeWorkflow.Input("ana"), T0, Answer) with
        {
            Observe = seen.Add,
        });

        Assert.Equal(run.Steps, seen);
    }
}
