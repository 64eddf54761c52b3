using Temporalio.Common;
using Temporalio.Workflows;

namespace AbandonedCart.Worker.Simulation;

/// <summary>What to simulate: which workflow with which input from when, what happens outside it and when, and how its activities answer.</summary>
public sealed record JourneyScript
{
    /// <summary>The workflow type name as registered (see <see cref="For"/> to take it from the class).</summary>
    public required string WorkflowType { get; init; }

    public required string WorkflowId { get; init; }

    public IReadOnlyList<object?> Args { get; init; } = [];

    public required DateTimeOffset Start { get; init; }

    /// <summary>Signals and fake-world changes at virtual times; the engine orders them by time, keeping list order for equal times.</summary>
    public IReadOnlyList<JourneyHappening> Happenings { get; init; } = [];

    /// <summary>Answers each activity once, at the virtual time it was scheduled: return the result or throw to fail it.</summary>
    public required Func<ActivityCall, object?> Activities { get; init; }

    /// <summary>Search attributes the client set at start.</summary>
    public SearchAttributeCollection? SearchAttributes { get; init; }

    /// <summary>The client's static summary of the run (user metadata on the start event).</summary>
    public string? StaticSummary { get; init; }

    public string TaskQueue { get; init; } = "simulation";

    /// <summary>Called with each step as it happens, e.g. to interleave timers with what the fake world records.</summary>
    public Action<JourneyStep>? Observe { get; init; }

    /// <summary>Stops a runaway workflow: more workflow tasks than this across all runs fails the simulation.</summary>
    public int MaxWorkflowTasks { get; init; } = 50_000;

    /// <summary>A script for workflow class <typeparamref name="TWorkflow"/>, taking its registered name.</summary>
    public static JourneyScript For<TWorkflow>(string workflowId, object? input, DateTimeOffset start, Func<ActivityCall, object?> activities) => new()
    {
        WorkflowType = WorkflowDefinition.Create<TWorkflow>().Name!,
        WorkflowId = workflowId,
        Args = [input],
        Start = start,
        Activities = activities,
    };
}

/// <summary>
/// Something outside the workflow at a virtual time: a signal (name and argument), a change of the fake world
/// (e.g. consent withdrawn, seen by activities after that time), or both.
/// </summary>
public sealed record JourneyHappening(DateTimeOffset At, string? SignalName, object? Argument, Action? Change, string? Description = null)
{
    public static JourneyHappening Signal(DateTimeOffset at, string name, object? argument) => new(at, name, argument, null);

    public static JourneyHappening WorldChange(DateTimeOffset at, string description, Action change) => new(at, null, null, change, description);
}

/// <summary>An activity the workflow scheduled, with its arguments decoded to the contract's parameter types.</summary>
public sealed record ActivityCall(string Name, IReadOnlyList<object?> Args, DateTimeOffset At, string ActivityId, string? Summary)
{
    public T Arg<T>(int index = 0) => (T)Args[index]!;
}
