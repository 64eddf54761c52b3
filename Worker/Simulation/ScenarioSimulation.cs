using AbandonedCart.Workflows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AbandonedCart.Worker.Simulation;

/// <summary>What a scenario did: the timeline, the world it left, and the engine's full record of the run.</summary>
public sealed record ScenarioOutcome(IReadOnlyList<TimelineEntry> Timeline, ScenarioWorld World, JourneyRun Run);

/// <summary>Runs a scenario through the real <see cref="AbandonedCartWorkflow"/> on the offline engine.</summary>
public static class ScenarioSimulation
{
    public static JourneyEngine CreateEngine(ILoggerFactory? loggerFactory = null) => new(new()
    {
        Workflows = [typeof(AbandonedCartWorkflow)],
        ActivityContracts = [typeof(IJourneyActivities)],
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
    });

    /// <summary>
    /// Runs <paramref name="scenario"/>. With <paramref name="showWaits"/> the timeline gets a <c>wait</c> line for every
    /// timer the journey starts (the preview shows them; the offline/server parity tests leave them out).
    /// </summary>
    public static async Task<ScenarioOutcome> RunAsync(JourneyEngine engine, Scenario scenario, bool showWaits = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var world = new ScenarioWorld(scenario);
        var plan = ScenarioPlan.For(scenario);
        var run = await engine.RunAsync(
            new JourneyScript
            {
                WorkflowType = Temporalio.Workflows.WorkflowDefinition.Create<AbandonedCartWorkflow>().Name!,
                WorkflowId = plan.WorkflowId,
                Args = [plan.Input],
                Start = plan.StartAt,
                SearchAttributes = plan.SearchAttributes,
                StaticSummary = plan.StaticSummary,
                Happenings = plan.Events.Select(e => e.SignalName is { } signal
                    ? JourneyHappening.Signal(e.At, signal, e.Signal)
                    : JourneyHappening.WorldChange(e.At, e.Source.Type, () => world.Change(e.Source))).ToList(),
                Activities = world.Answer,
                Observe = showWaits ? step => ShowWait(world, step) : null,
            },
            cancellationToken).ConfigureAwait(false);
        switch (run.Steps[^1])
        {
            case WorkflowCompleted:
                world.End(run.EndedAt, run.Result<AbandonedCartWorkflow.Result>().Outcome);
                break;
            case WorkflowFailed:
                world.End(run.EndedAt, "failed");
                break;
        }

        return new ScenarioOutcome(world.Timeline, world, run);
    }

    private static void ShowWait(ScenarioWorld world, JourneyStep step)
    {
        if (step is TimerStarted timer)
        {
            world.Wait(timer.At, timer.FiresAt, timer.Summary);
        }
    }
}
