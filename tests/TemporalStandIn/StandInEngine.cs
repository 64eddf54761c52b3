using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;

namespace AbandonedCart.TemporalStandIn;

/// <summary>
/// The in-memory server: executions, their histories, matching and the virtual clock, all behind one lock. Events
/// are recorded as Temporal's history service records them; see docs/in-process-temporal.md for what is left out.
/// </summary>
public sealed partial class StandInEngine : IAsyncDisposable
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);

    private readonly object sync = new();
    private readonly Dictionary<string, Execution> runs = [];
    private readonly Dictionary<string, Execution> current = [];
    private readonly Dictionary<string, PendingQuery> queries = [];
    private readonly TaskQueues matching = new();
    private readonly HashSet<string> shutDownIdentities = [];

    public StandInEngine(StandInOptions? options = null)
    {
        Options = options ?? new StandInOptions();
        Clock = new VirtualClock(Options.StartTime ?? DateTime.UtcNow, Options.FreezeWhileLocked, Options.FreezeGrace) { Guard = sync };
    }

    public StandInOptions Options { get; }

    public VirtualClock Clock { get; }

    /// <summary>Custom search attributes registered through the operator service (the stand-in accepts any).</summary>
    public Dictionary<string, IndexedValueType> SearchAttributeTypes { get; } = [];

    public async ValueTask DisposeAsync()
    {
        lock (sync)
        {
            matching.ReleaseAll();
        }

        await Clock.DisposeAsync();
    }

    /// <summary>The recorded history of a run (a copy), for tests that compare it with the offline engine's.</summary>
    public IReadOnlyList<HistoryEvent> HistoryOf(string workflowId, string? runId = null)
    {
        lock (sync)
        {
            var execution = Find(Options.Namespace, workflowId, runId);
            return execution.History.Select(e => e.Clone()).ToList();
        }
    }

    /// <summary>Every run of a workflow id, oldest first.</summary>
    public IReadOnlyList<string> RunsOf(string workflowId)
    {
        lock (sync)
        {
            return runs.Values.Where(r => r.WorkflowId == workflowId).OrderBy(r => r.StartTime).ThenBy(r => r.History.Count == 0).Select(r => r.RunId).ToList();
        }
    }

    private static string CurrentKey(string ns, string workflowId) => $"{ns}\n{workflowId}";

    private static string Ns(string ns) => string.IsNullOrEmpty(ns) ? "default" : ns;

    private Execution Find(string ns, string workflowId, string? runId)
    {
        if (!string.IsNullOrEmpty(runId))
        {
            if (runs.TryGetValue(runId, out var run) && run.WorkflowId == workflowId)
            {
                return run;
            }
        }
        else if (current.TryGetValue(CurrentKey(Ns(ns), workflowId), out var latest))
        {
            return latest;
        }

        throw NotFound($"workflow not found for ID: {workflowId}");
    }

    private Execution FindRunning(WorkflowExecution execution, string ns)
    {
        var run = Find(ns, execution.WorkflowId, execution.RunId);
        return run.Running ? run : throw NotFound("workflow execution already completed");
    }

    internal static RpcException NotFound(string message) => Error(StatusCode.NotFound, message, new NotFoundFailure());

    internal static RpcException Error(StatusCode code, string message, IMessage? detail = null)
    {
        var trailers = new Metadata();
        var status = new GrpcStatus { Code = (int)code, Message = message };
        if (detail is not null)
        {
            status.Details.Add(Any.Pack(detail));
            trailers.Add("grpc-status-details-bin", status.ToByteArray());
        }

        return new RpcException(new Status(code, message), trailers);
    }

    // ---- History writing -------------------------------------------------------------------------------------------

    private HistoryEvent Append(Execution execution, HistoryEvent e)
    {
        e.EventId = execution.History.Count + 1;
        e.EventTime ??= Timestamp.FromDateTime(Clock.Now);
        execution.History.Add(e);
        Notify(execution);
        return e;
    }

    private static void Notify(Execution execution)
    {
        var changed = execution.Changed;
        execution.Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static HistoryEvent Event(EventType type) => new() { EventType = type };

    /// <summary>
    /// Something happened to the run from outside (signal, timer, activity result, cancel request): written now and
    /// a workflow task scheduled, or buffered while a task is in flight and written when it completes.
    /// </summary>
    private void Happen(Execution execution, Action write)
    {
        if (!execution.Running)
        {
            return;
        }

        if (execution.Wft == WorkflowTaskState.Started)
        {
            execution.Buffered.Add(write);
            Notify(execution);
            return;
        }

        write();
        if (execution.Wft == WorkflowTaskState.None)
        {
            ScheduleWorkflowTask(execution);
        }
    }

    private void Happen(Execution execution, HistoryEvent e)
    {
        e.EventTime ??= Timestamp.FromDateTime(Clock.Now);
        Happen(execution, () => Append(execution, e));
    }

    // ---- Workflow tasks ---------------------------------------------------------------------------------------------

    private void ScheduleWorkflowTask(Execution execution, bool toNormalQueue = false)
    {
        if (toNormalQueue)
        {
            execution.StickyQueue = null;
        }

        var queue = execution.StickyQueue ?? execution.TaskQueue;
        var scheduled = Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowTaskScheduled,
            WorkflowTaskScheduledEventAttributes = new()
            {
                TaskQueue = execution.StickyQueue is null
                    ? new TaskQueue { Name = execution.TaskQueue, Kind = TaskQueueKind.Normal }
                    : new TaskQueue { Name = execution.StickyQueue, Kind = TaskQueueKind.Sticky, NormalName = execution.TaskQueue },
                StartToCloseTimeout = Duration.FromTimeSpan(execution.WorkflowTaskTimeout),
                Attempt = execution.WftAttempt,
            },
        });
        execution.Wft = WorkflowTaskState.Scheduled;
        execution.WftScheduledId = scheduled.EventId;
        execution.WftStartedId = 0;
        execution.WftQueue = queue;
        execution.WftScheduledTime = Clock.Now;
        Clock.Lock();
        matching.Add(TaskQueues.Key(execution.Namespace, "wf", queue), new WorkflowTaskRef(execution, scheduled.EventId, execution.WftAttempt));
        if (execution.StickyQueue is not null)
        {
            // A sticky worker that does not take the task in time loses it to the normal queue.
            var scheduledId = scheduled.EventId;
            execution.WftTimer = Clock.After(execution.StickyTimeout, () =>
            {
                lock (sync)
                {
                    if (execution.Running && execution.Wft == WorkflowTaskState.Scheduled && execution.WftScheduledId == scheduledId)
                    {
                        TimeOutWorkflowTask(execution, TimeoutType.ScheduleToStart);
                    }
                }
            });
        }
    }

    private void TimeOutWorkflowTask(Execution execution, TimeoutType type)
    {
        Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowTaskTimedOut,
            WorkflowTaskTimedOutEventAttributes = new()
            {
                ScheduledEventId = execution.WftScheduledId,
                StartedEventId = execution.WftStartedId,
                TimeoutType = type,
            },
        });
        EndWorkflowTask(execution);
        FlushBuffered(execution);
        ScheduleWorkflowTask(execution, toNormalQueue: true);
    }

    /// <summary>The task is over (completed, failed or timed out): the clock may skip again.</summary>
    private void EndWorkflowTask(Execution execution)
    {
        if (execution.Wft != WorkflowTaskState.None)
        {
            execution.Wft = WorkflowTaskState.None;
            execution.WftTimer?.Cancel();
            execution.WftTimer = null;
            Clock.Unlock();
        }
    }

    private bool FlushBuffered(Execution execution)
    {
        var any = execution.Buffered.Count > 0;
        foreach (var write in execution.Buffered)
        {
            write();
        }

        execution.Buffered.Clear();
        return any;
    }

    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(PollWorkflowTaskQueueRequest request, CancellationToken cancellationToken)
    {
        var ns = Ns(request.Namespace);
        var key = TaskQueues.Key(ns, "wf", request.TaskQueue.Name);
        while (true)
        {
            var task = await TakeAsync(key, request.Identity, cancellationToken);
            if (task is null)
            {
                return new PollWorkflowTaskQueueResponse();
            }

            lock (sync)
            {
                var response = task switch
                {
                    WorkflowTaskRef wft => StartWorkflowTask(wft, request),
                    QueryTaskRef query => StartQueryTask(query.Query),
                    _ => null,
                };
                if (response is not null)
                {
                    return response;
                }
            }
        }
    }

    private async Task<object?> TakeAsync(string key, string identity, CancellationToken cancellationToken)
    {
        Task<object?> poll;
        lock (sync)
        {
            poll = matching.Take(key, identity);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LongPoll);
        try
        {
            return await poll.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            lock (sync)
            {
                matching.Abandon(key, poll);
                if (poll.IsCompletedSuccessfully && poll.Result is { } handedOver)
                {
                    // Handed over as the poll gave up: it goes back for the next poller.
                    matching.Add(key, handedOver);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
    }

    private PollWorkflowTaskQueueResponse? StartWorkflowTask(WorkflowTaskRef task, PollWorkflowTaskQueueRequest request)
    {
        var execution = task.Execution;
        if (!execution.Running || execution.Wft != WorkflowTaskState.Scheduled || execution.WftScheduledId != task.ScheduledId
            || execution.WftQueue != request.TaskQueue.Name)
        {
            return null;
        }

        execution.WftTimer?.Cancel();
        var started = Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowTaskStarted,
            WorkflowTaskStartedEventAttributes = new()
            {
                ScheduledEventId = execution.WftScheduledId,
                Identity = request.Identity,
                RequestId = Guid.NewGuid().ToString(),
                HistorySizeBytes = execution.HistorySizeBytes,
            },
        });
        execution.Wft = WorkflowTaskState.Started;
        execution.WftStartedId = started.EventId;
        var startedId = started.EventId;
        execution.WftTimer = Clock.After(execution.WorkflowTaskTimeout, () =>
        {
            lock (sync)
            {
                if (execution.Running && execution.Wft == WorkflowTaskState.Started && execution.WftStartedId == startedId)
                {
                    TimeOutWorkflowTask(execution, TimeoutType.StartToClose);
                    DispatchParkedQueries(execution);
                }
            }
        });

        var sticky = request.TaskQueue.Kind == TaskQueueKind.Sticky;
        var from = sticky ? execution.PreviousStartedId : 0;
        var response = new PollWorkflowTaskQueueResponse
        {
            TaskToken = Token("wft", execution.RunId, task.ScheduledId, task.Attempt),
            WorkflowExecution = new() { WorkflowId = execution.WorkflowId, RunId = execution.RunId },
            WorkflowType = new() { Name = execution.WorkflowType },
            PreviousStartedEventId = execution.PreviousStartedId,
            StartedEventId = started.EventId,
            Attempt = task.Attempt,
            BacklogCountHint = 0,
            History = new History(),
            WorkflowExecutionTaskQueue = new() { Name = execution.TaskQueue, Kind = TaskQueueKind.Normal },
            ScheduledTime = Timestamp.FromDateTime(execution.WftScheduledTime),
            StartedTime = started.EventTime,
        };
        response.History.Events.AddRange(execution.History.Skip((int)from).Select(e => e.Clone()));
        return response;
    }

    private static ByteString Token(string kind, string runId, long id, int attempt) =>
        ByteString.CopyFromUtf8($"{kind}|{runId}|{id}|{attempt}");

    private (string Kind, string RunId, long Id, int Attempt) ParseToken(ByteString token)
    {
        var parts = token.ToStringUtf8().Split('|');
        if (parts.Length != 4 || !long.TryParse(parts[2], out var id) || !int.TryParse(parts[3], out var attempt))
        {
            throw Error(StatusCode.InvalidArgument, "malformed task token");
        }

        return (parts[0], parts[1], id, attempt);
    }

    private Execution WorkflowTaskOf(ByteString token)
    {
        var (kind, runId, id, attempt) = ParseToken(token);
        if (kind != "wft" || !runs.TryGetValue(runId, out var execution) || !execution.Running
            || execution.Wft != WorkflowTaskState.Started || execution.WftScheduledId != id || execution.WftAttempt != attempt)
        {
            throw NotFound("Workflow task not found.");
        }

        return execution;
    }

    public RespondWorkflowTaskCompletedResponse RespondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest request)
    {
        lock (sync)
        {
            var execution = WorkflowTaskOf(request.TaskToken);
            var closes = request.Commands.Any(c => c.CommandType is CommandType.CompleteWorkflowExecution or CommandType.FailWorkflowExecution
                or CommandType.CancelWorkflowExecution or CommandType.ContinueAsNewWorkflowExecution);
            if (closes && execution.Buffered.Count > 0)
            {
                // New events arrived while the task ran: closing now would lose them. Temporal fails the task with
                // UnhandledCommand and gives the workflow a new task that sees them.
                FailWorkflowTask(execution, WorkflowTaskFailedCause.UnhandledCommand, null, request.Identity);
                throw Error(StatusCode.InvalidArgument, "UnhandledCommand: new events arrived while the workflow task that closes the run was in flight");
            }

            var completed = Append(execution, new HistoryEvent
            {
                EventType = EventType.WorkflowTaskCompleted,
                WorkflowTaskCompletedEventAttributes = new()
                {
                    ScheduledEventId = execution.WftScheduledId,
                    StartedEventId = execution.WftStartedId,
                    Identity = request.Identity,
                    BinaryChecksum = request.BinaryChecksum,
                    WorkerVersion = request.WorkerVersionStamp,
                    SdkMetadata = request.SdkMetadata,
                    MeteringMetadata = request.MeteringMetadata,
                    Deployment = request.Deployment,
                    VersioningBehavior = request.VersioningBehavior,
                },
            });
            execution.PreviousStartedId = execution.WftStartedId;
            execution.WftAttempt = 1;
            var newEvents = false;
            foreach (var command in request.Commands)
            {
                newEvents |= ApplyCommand(execution, command, completed.EventId, request.Identity);
                if (!execution.Running)
                {
                    break;
                }
            }

            foreach (var (id, result) in request.QueryResults)
            {
                AnswerQuery(id, result.ResultType == QueryResultType.Answered ? result : null, result.ErrorMessage, result.Failure);
            }

            execution.StickyQueue = string.IsNullOrEmpty(request.StickyAttributes?.WorkerTaskQueue?.Name) ? null : request.StickyAttributes.WorkerTaskQueue.Name;
            if (request.StickyAttributes?.ScheduleToStartTimeout is { } stickyTimeout && stickyTimeout.ToTimeSpan() > TimeSpan.Zero)
            {
                execution.StickyTimeout = stickyTimeout.ToTimeSpan();
            }

            EndWorkflowTask(execution);
            if (execution.Running)
            {
                newEvents |= FlushBuffered(execution);
                if (newEvents || request.ForceCreateNewWorkflowTask)
                {
                    ScheduleWorkflowTask(execution);
                }
            }
            else
            {
                execution.Buffered.Clear();
            }

            DispatchParkedQueries(execution);
            return new RespondWorkflowTaskCompletedResponse();
        }
    }

    public RespondWorkflowTaskFailedResponse RespondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest request)
    {
        lock (sync)
        {
            var execution = WorkflowTaskOf(request.TaskToken);
            FailWorkflowTask(execution, request.Cause, request.Failure, request.Identity);
            return new RespondWorkflowTaskFailedResponse();
        }
    }

    private void FailWorkflowTask(Execution execution, WorkflowTaskFailedCause cause, Failure? failure, string identity)
    {
        Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowTaskFailed,
            WorkflowTaskFailedEventAttributes = new()
            {
                ScheduledEventId = execution.WftScheduledId,
                StartedEventId = execution.WftStartedId,
                Cause = cause,
                Failure = failure,
                Identity = identity,
            },
        });
        EndWorkflowTask(execution);
        FlushBuffered(execution);
        if (cause != WorkflowTaskFailedCause.UnhandledCommand)
        {
            execution.WftAttempt++;
        }

        if (execution.WftAttempt > 1)
        {
            // A task that keeps failing (a nondeterminism, a bug) is retried, but not in a hot loop.
            var attempt = execution.WftAttempt;
            Clock.Lock();
            _ = Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt - 1))).ContinueWith(
                _ =>
                {
                    lock (sync)
                    {
                        Clock.Unlock();
                        if (execution.Running && execution.Wft == WorkflowTaskState.None)
                        {
                            ScheduleWorkflowTask(execution, toNormalQueue: true);
                        }
                    }
                },
                TaskScheduler.Default);
            return;
        }

        ScheduleWorkflowTask(execution, toNormalQueue: true);
        DispatchParkedQueries(execution);
    }
}
