using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace AbandonedCart.Tests.Engine;

/// <summary>Activities of the engine's probe workflows; answered by fakes, never implemented for real.</summary>
public interface IProbeActivities
{
    [Activity]
    Task<string> GreetAsync(GreetRequest request);

    [Activity]
    Task RecordAsync(string note);
}

public sealed record GreetRequest(string Name, int Round);

/// <summary>
/// Exercises every command the engine turns into history: patch, search-attribute and memo upserts, current
/// details, activities and timers with summaries, a signal racing a timer, and continue-as-new.
/// </summary>
[Workflow("Probe")]
public sealed class ProbeWorkflow
{
    public static readonly SearchAttributeKey<string> Stage = SearchAttributeKey.CreateKeyword("ProbeStage");

    private string? pokedBy;

    public sealed record Input(string Name, int Round = 1, int Rounds = 1);

    public sealed record Result(string Greeting, string? PokedBy, int Round, bool Patched);

    [WorkflowQuery]
    public string Status { get; private set; } = "starting";

    [WorkflowRun]
    public async Task<Result> RunAsync(Input input)
    {
        var patched = Workflow.Patched("probe-greets-first");
        Workflow.UpsertTypedSearchAttributes(Stage.ValueSet("greeting"));
        Workflow.UpsertMemo(MemoUpdate.ValueSet("round", input.Round));
        Workflow.CurrentDetails = $"greeting {input.Name}";
        var greeting = await Workflow.ExecuteActivityAsync(
            (IProbeActivities a) => a.GreetAsync(new GreetRequest(input.Name, input.Round)),
            new() { StartToCloseTimeout = TimeSpan.FromMinutes(1), Summary = $"greet {input.Name}" });

        Status = "waiting";
        Workflow.UpsertTypedSearchAttributes(Stage.ValueSet("waiting"));
        var poked = await Workflow.WaitConditionWithOptionsAsync(new(() => pokedBy is not null, TimeSpan.FromHours(1), "waiting 1 h for a poke"));
        if (!poked)
        {
            await Workflow.DelayWithOptionsAsync(new(TimeSpan.FromMinutes(30), "30 min grace"));
        }

        await Workflow.ExecuteActivityAsync(
            (IProbeActivities a) => a.RecordAsync(poked ? $"poked by {pokedBy}" : "not poked"),
            new() { StartToCloseTimeout = TimeSpan.FromMinutes(1), Summary = "record" });
        if (input.Round < input.Rounds)
        {
            var next = input with { Round = input.Round + 1 };
            throw Workflow.CreateContinueAsNewException((ProbeWorkflow wf) => wf.RunAsync(next));
        }

        Status = "done";
        return new Result(greeting, pokedBy, input.Round, patched);
    }

    [WorkflowSignal]
    public Task PokeAsync(string who)
    {
        pokedBy = who;
        return Task.CompletedTask;
    }
}

/// <summary>Fails when its activity fails, to prove activity failures reach workflow code.</summary>
[Workflow("ProbeFailing")]
public sealed class ProbeFailingWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(string name)
    {
        try
        {
            await Workflow.ExecuteActivityAsync(
                (IProbeActivities a) => a.GreetAsync(new GreetRequest(name, 1)),
                new() { StartToCloseTimeout = TimeSpan.FromMinutes(1) });
        }
        catch (ActivityFailureException e)
        {
            throw new ApplicationFailureException($"greeting failed: {e.InnerException?.Message}", errorType: "GreetingFailed");
        }
    }
}

/// <summary>Throws a non-Temporal exception: a workflow task failure, which a server would retry forever.</summary>
[Workflow("ProbeBroken")]
public sealed class ProbeBrokenWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(string name)
    {
        await Workflow.DelayAsync(TimeSpan.FromMinutes(1));
        throw new InvalidOperationException($"bug while handling {name}");
    }
}
