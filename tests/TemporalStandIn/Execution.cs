using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.Sdk.V1;

namespace AbandonedCart.TemporalStandIn;

/// <summary>One workflow run: its history and what the server tracks beside it (mutable state).</summary>
internal sealed class Execution
{
    public required string Namespace { get; init; }

    public required string WorkflowId { get; init; }

    public required string RunId { get; init; }

    public required string FirstRunId { get; init; }

    public required string WorkflowType { get; init; }

    public required string TaskQueue { get; init; }

    public required DateTime StartTime { get; init; }

    public string? StartRequestId { get; init; }

    public TimeSpan WorkflowTaskTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public Duration? RunTimeout { get; init; }

    public Duration? ExecutionTimeout { get; init; }

    public UserMetadata? UserMetadata { get; init; }

    public DateTime? CloseTime { get; set; }

    public WorkflowExecutionStatus Status { get; set; } = WorkflowExecutionStatus.Running;

    public bool Running => Status == WorkflowExecutionStatus.Running;

    public List<HistoryEvent> History { get; } = [];

    public Memo Memo { get; set; } = new();

    public SearchAttributes SearchAttributes { get; set; } = new();

    /// <summary>Events that happened while a workflow task was in flight: written after its completion.</summary>
    public List<Action> Buffered { get; } = [];

    public HashSet<string> RequestIds { get; } = [];

    public WorkflowTaskState Wft { get; set; } = WorkflowTaskState.None;

    public long WftScheduledId { get; set; }

    public long WftStartedId { get; set; }

    public int WftAttempt { get; set; } = 1;

    public string WftQueue { get; set; } = string.Empty;

    public DateTime WftScheduledTime { get; set; }

    public ClockTimer? WftTimer { get; set; }

    /// <summary>The started event id of the last completed workflow task: a sticky task's history starts after it.</summary>
    public long PreviousStartedId { get; set; }

    public string? StickyQueue { get; set; }

    public TimeSpan StickyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public Dictionary<long, ActivityState> Activities { get; } = [];

    public Dictionary<string, (long StartedId, ClockTimer Timer)> Timers { get; } = [];

    /// <summary>Queries waiting for the workflow task in flight to finish before they go out as query tasks.</summary>
    public List<PendingQuery> ParkedQueries { get; } = [];

    /// <summary>Completed (and replaced) on every change, for long polls on the history.</summary>
    public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? NewRunId { get; set; }

    public long HistorySizeBytes => History.Sum(e => (long)e.CalculateSize());

    public long LastEventId => History.Count;
}

internal enum WorkflowTaskState
{
    None,
    Scheduled,
    Started,
}

internal enum ActivityPhase
{
    Scheduled,
    Started,
    Backoff,
}

internal sealed class ActivityState
{
    public required long ScheduledEventId { get; init; }

    public required ActivityTaskScheduledEventAttributes Attributes { get; init; }

    public required DateTime ScheduledTime { get; init; }

    public ActivityPhase Phase { get; set; } = ActivityPhase.Scheduled;

    public int Attempt { get; set; } = 1;

    public DateTime CurrentAttemptScheduledTime { get; set; }

    public DateTime? StartedTime { get; set; }

    public string? StartedIdentity { get; set; }

    public string? RequestId { get; set; }

    public Payloads? HeartbeatDetails { get; set; }

    public Temporalio.Api.Failure.V1.Failure? LastFailure { get; set; }

    public long CancelRequestedEventId { get; set; }

    public bool HoldsClock { get; set; }

    public List<ClockTimer> AttemptTimers { get; } = [];

    public ClockTimer? HeartbeatTimer { get; set; }

    public ClockTimer? ScheduleToCloseTimer { get; set; }
}

internal sealed class PendingQuery
{
    public required string Id { get; init; }

    public required Execution Execution { get; init; }

    public required WorkflowQuery Query { get; init; }

    public TaskCompletionSource<(WorkflowQueryResult? Result, string? Error, Temporalio.Api.Failure.V1.Failure? Failure)> Answer { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Work a poller can take: a workflow task, an activity attempt, or a (legacy) query task.</summary>
internal sealed record WorkflowTaskRef(Execution Execution, long ScheduledId, int Attempt);

internal sealed record ActivityTaskRef(Execution Execution, long ScheduledId, int Attempt);

internal sealed record QueryTaskRef(PendingQuery Query);

/// <summary>Which SDK flags and metadata a worker recorded; kept in the events exactly as sent.</summary>
internal static class SdkMetadataCopy
{
    public static WorkflowTaskCompletedMetadata? Of(WorkflowTaskCompletedMetadata? metadata) => metadata?.Clone();
}
