using System.Reflection;
using Temporalio.Api.Common.V1;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Workflows;

namespace AbandonedCart.Worker.Simulation;

/// <summary>Something that happened in a simulated run, at a virtual time, in the order the history records it.</summary>
public abstract record JourneyStep(DateTimeOffset At)
{
    /// <summary>Which run of the workflow (1 = first; continue-as-new starts the next).</summary>
    public int Run { get; init; } = 1;
}

/// <summary>An activity the workflow called and the answer the fake world gave (or the failure it raised).</summary>
public sealed record ActivityCalled(DateTimeOffset At, string Name, IReadOnlyList<object?> Args, object? Answer, string? Failure, string? Summary)
    : JourneyStep(At)
{
    public T Arg<T>(int index = 0) => (T)Args[index]!;
}

public sealed record TimerStarted(DateTimeOffset At, uint Seq, TimeSpan Duration, string? Summary) : JourneyStep(At)
{
    public DateTimeOffset FiresAt => At + Duration;
}

public sealed record TimerFired(DateTimeOffset At, uint Seq, string? Summary) : JourneyStep(At);

public sealed record TimerCanceled(DateTimeOffset At, uint Seq, string? Summary) : JourneyStep(At);

/// <summary>A scripted signal delivered to the workflow (signals scripted after the run closed are not delivered).</summary>
public sealed record SignalSent(DateTimeOffset At, string Name, object? Argument) : JourneyStep(At);

/// <summary>A scripted change of the fake world that is not a signal (e.g. consent withdrawn).</summary>
public sealed record WorldChanged(DateTimeOffset At, string Description) : JourneyStep(At);

public sealed record PatchRecorded(DateTimeOffset At, string PatchId, bool Deprecated) : JourneyStep(At);

/// <summary>A search attribute upsert; <see cref="Values"/> holds each attribute's JSON as the history stores it.</summary>
public sealed record SearchAttributesUpserted(DateTimeOffset At, IReadOnlyDictionary<string, string> Values) : JourneyStep(At);

public sealed record MemoUpserted(DateTimeOffset At, IReadOnlyList<string> Keys) : JourneyStep(At);

public sealed record ContinuedAsNew(DateTimeOffset At) : JourneyStep(At);

public sealed record WorkflowCompleted(DateTimeOffset At, Payload? Result) : JourneyStep(At);

public sealed record WorkflowFailed(DateTimeOffset At, string Message, string? ErrorType) : JourneyStep(At);

/// <summary>The outcome of <see cref="JourneyEngine.RunAsync"/>: what the workflow did, and the history of every run.</summary>
public sealed class JourneyRun
{
    public required IReadOnlyList<JourneyStep> Steps { get; init; }

    /// <summary>One history per run; continue-as-new adds one.</summary>
    public required IReadOnlyList<Temporalio.Common.WorkflowHistory> Histories { get; init; }

    public required DataConverter DataConverter { get; init; }

    /// <summary>Typed search attributes as the workflow last saw them (start values plus upserts).</summary>
    public SearchAttributeCollection SearchAttributes { get; init; } = SearchAttributeCollection.Empty;

    /// <summary><c>Workflow.CurrentDetails</c> as the workflow last set it.</summary>
    public string? CurrentDetails { get; init; }

    /// <summary>The workflow class instance after its last task, for reading query properties.</summary>
    public object? Workflow { get; init; }

    /// <summary>False when the workflow was left waiting with nothing more scripted to happen.</summary>
    public bool Closed => Steps.Count > 0 && Steps[^1] is WorkflowCompleted or WorkflowFailed;

    public DateTimeOffset EndedAt => Steps.Count > 0 ? Steps[^1].At : default;

    public int ContinueAsNewCount => Histories.Count - 1;

    public int LargestRunEventCount => Histories.Max(h => h.Events.Count);

    public IEnumerable<ActivityCalled> Activities => Steps.OfType<ActivityCalled>();

    public IEnumerable<ActivityCalled> CallsTo(string activity) => Activities.Where(a => a.Name == activity);

    public IEnumerable<TimerStarted> Timers => Steps.OfType<TimerStarted>();

    /// <summary>The workflow's result; throws when it did not complete.</summary>
    public T Result<T>() => Steps.LastOrDefault() is WorkflowCompleted { Result: { } payload }
        ? DataConverter.PayloadConverter.ToValue<T>(payload)
        : throw new InvalidOperationException($"The workflow did not complete; last step: {Steps.LastOrDefault()}");

    /// <summary>
    /// Reads a <c>[WorkflowQuery]</c> property or argument-less method of the workflow after its last task, as a
    /// query against the final state would.
    /// </summary>
    public T Query<T>(string name)
    {
        var workflow = Workflow ?? throw new InvalidOperationException("No workflow task ran.");
        foreach (var member in workflow.GetType().GetMembers(BindingFlags.Public | BindingFlags.Instance))
        {
            var attribute = member.GetCustomAttribute<WorkflowQueryAttribute>();
            if (attribute is null)
            {
                continue;
            }

            var memberName = attribute.Name ?? (member.Name.EndsWith("Async", StringComparison.Ordinal) ? member.Name[..^5] : member.Name);
            if (memberName != name)
            {
                continue;
            }

            return (T)(member switch
            {
                PropertyInfo property => property.GetValue(workflow),
                MethodInfo method => method.Invoke(workflow, []),
                _ => throw new InvalidOperationException($"Query {name} is neither a property nor a method."),
            })!;
        }

        throw new InvalidOperationException($"{workflow.GetType().Name} has no query named {name}.");
    }
}
