using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.TaskQueue.V1;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// The history of one workflow run as a Temporal server would record it, appended event by event with contiguous
/// ids from 1 and the back-references core checks.
/// </summary>
internal sealed class RunHistory
{
    /// <summary>
    /// Core flags a current worker records on its first task: 1 (activity type and id checks) and 3 (terminal commands
    /// last). Flag 2 is left out because it makes core expect a TemporalChangeVersion upsert after every patch marker.
    /// </summary>
    private static readonly uint[] CoreFlags = [1, 3];

    private const string Identity = "simulation@abandoned-cart";

    private readonly List<HistoryEvent> events = [];
    private long sizeBytes;
    private long lastScheduledId;
    private long lastStartedId;
    private bool firstTaskCompleted;

    public RunHistory(string workflowId, string runId, string taskQueue)
    {
        WorkflowId = workflowId;
        RunId = runId;
        TaskQueue = taskQueue;
    }

    public string WorkflowId { get; }

    public string RunId { get; }

    public string TaskQueue { get; }

    public int Count => events.Count;

    public EventType LastEventType => events.Count > 0 ? events[^1].EventType : EventType.Unspecified;

    /// <summary>Server-side "suggest continue-as-new" threshold, the server's default history count limit.</summary>
    public int SuggestContinueAsNewAt { get; init; } = 4000;

    /// <summary>A stable run id, so regenerated golden histories differ only where behaviour differs.</summary>
    public static string RunIdFor(string workflowId, int run) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{workflowId}#{run}")).AsSpan(0, 16)).ToString();

    public Temporalio.Common.WorkflowHistory ToHistory() => new(WorkflowId, events);

    public long Started(
        DateTimeOffset at, string workflowType, Payloads input, SearchAttributes? searchAttributes, Memo? memo,
        string? staticSummary, string firstRunId, string? continuedFromRunId, Payload? summaryPayload)
    {
        var attributes = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowId = WorkflowId,
            WorkflowType = new() { Name = workflowType },
            TaskQueue = Queue(),
            Input = input,
            WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            OriginalExecutionRunId = RunId,
            FirstExecutionRunId = firstRunId,
            ContinuedExecutionRunId = continuedFromRunId ?? string.Empty,
            Initiator = continuedFromRunId is null ? ContinueAsNewInitiator.Unspecified : ContinueAsNewInitiator.Workflow,
            Identity = Identity,
            Attempt = 1,
            FirstWorkflowTaskBackoff = Duration.FromTimeSpan(TimeSpan.Zero),
            SearchAttributes = searchAttributes,
            Memo = memo,
        };
        var started = Append(at, EventType.WorkflowExecutionStarted, e => e.WorkflowExecutionStartedEventAttributes = attributes);
        if (staticSummary is not null && summaryPayload is not null)
        {
            started.UserMetadata = new UserMetadata { Summary = summaryPayload };
        }

        return started.EventId;
    }

    /// <summary>Schedules and starts a workflow task at <paramref name="at"/>, which becomes <c>Workflow.UtcNow</c>.</summary>
    public void TaskStarted(DateTimeOffset at)
    {
        lastScheduledId = Append(at, EventType.WorkflowTaskScheduled, e => e.WorkflowTaskScheduledEventAttributes = new()
        {
            TaskQueue = Queue(),
            StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            Attempt = 1,
        }).EventId;
        var suggest = events.Count + 1 >= SuggestContinueAsNewAt;
        lastStartedId = Append(at, EventType.WorkflowTaskStarted, e => e.WorkflowTaskStartedEventAttributes = new()
        {
            ScheduledEventId = lastScheduledId,
            Identity = Identity,
            RequestId = $"{RunId}:{lastScheduledId}",
            SuggestContinueAsNew = suggest,
            HistorySizeBytes = sizeBytes,
        }).EventId;
    }

    /// <summary>Completes the started workflow task; the first one records the SDK flags a real worker records.</summary>
    public long TaskCompleted(DateTimeOffset at, IEnumerable<uint> langFlags)
    {
        var attributes = new WorkflowTaskCompletedEventAttributes
        {
            ScheduledEventId = lastScheduledId,
            StartedEventId = lastStartedId,
            Identity = Identity,
        };
        if (!firstTaskCompleted)
        {
            attributes.SdkMetadata = new WorkflowTaskCompletedMetadata();
            attributes.SdkMetadata.CoreUsedFlags.Add(CoreFlags);
            attributes.SdkMetadata.LangUsedFlags.Add(langFlags.Distinct().Order());
            firstTaskCompleted = true;
        }

        return Append(at, EventType.WorkflowTaskCompleted, e => e.WorkflowTaskCompletedEventAttributes = attributes).EventId;
    }

    public HistoryEvent Append(DateTimeOffset at, EventType type, Action<HistoryEvent> fill)
    {
        var historyEvent = new HistoryEvent
        {
            EventId = events.Count + 1,
            EventTime = Timestamp.FromDateTimeOffset(at),
            EventType = type,
            TaskId = events.Count + 1,
        };
        fill(historyEvent);
        events.Add(historyEvent);
        sizeBytes += historyEvent.CalculateSize();
        return historyEvent;
    }

    public TaskQueue Queue() => new() { Name = TaskQueue, Kind = TaskQueueKind.Normal };
}
