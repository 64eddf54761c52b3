using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace AbandonedCart.TemporalStandIn;

internal sealed class StartSpec
{
    public required string Namespace { get; init; }

    public required string WorkflowId { get; init; }

    public string RunId { get; init; } = Guid.NewGuid().ToString();

    public string? FirstRunId { get; init; }

    public string? ContinuedFromRunId { get; init; }

    public required string WorkflowType { get; init; }

    public required string TaskQueue { get; init; }

    public Payloads? Input { get; init; }

    public Header? Header { get; init; }

    public Memo? Memo { get; init; }

    public SearchAttributes? SearchAttributes { get; init; }

    public Duration? RunTimeout { get; init; }

    public Duration? ExecutionTimeout { get; init; }

    public Duration? TaskTimeout { get; init; }

    public string Identity { get; init; } = string.Empty;

    public string? RequestId { get; init; }

    public UserMetadata? UserMetadata { get; init; }

    public ContinueAsNewInitiator Initiator { get; init; }

    public Temporalio.Api.Common.V1.RetryPolicy? RetryPolicy { get; init; }

    public Priority? Priority { get; init; }
}

public sealed partial class StandInEngine
{
    private Execution StartRun(StartSpec spec, HistoryEvent? withSignal = null)
    {
        var taskTimeout = spec.TaskTimeout?.ToTimeSpan() is { } t && t > TimeSpan.Zero ? t : TimeSpan.FromSeconds(10);
        var execution = new Execution
        {
            Namespace = spec.Namespace,
            WorkflowId = spec.WorkflowId,
            RunId = spec.RunId,
            FirstRunId = spec.FirstRunId ?? spec.RunId,
            WorkflowType = spec.WorkflowType,
            TaskQueue = spec.TaskQueue,
            StartTime = Clock.Now,
            StartRequestId = spec.RequestId,
            WorkflowTaskTimeout = taskTimeout,
            RunTimeout = spec.RunTimeout,
            ExecutionTimeout = spec.ExecutionTimeout,
            UserMetadata = spec.UserMetadata,
            Memo = spec.Memo?.Clone() ?? new Memo(),
            SearchAttributes = spec.SearchAttributes?.Clone() ?? new SearchAttributes(),
        };
        if (spec.RequestId is not null)
        {
            execution.RequestIds.Add(spec.RequestId);
        }

        runs[execution.RunId] = execution;
        current[CurrentKey(execution.Namespace, execution.WorkflowId)] = execution;
        Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionStarted,
            UserMetadata = spec.UserMetadata,
            WorkflowExecutionStartedEventAttributes = new()
            {
                WorkflowType = new() { Name = spec.WorkflowType },
                TaskQueue = new() { Name = spec.TaskQueue, Kind = TaskQueueKind.Normal },
                Input = spec.Input,
                WorkflowExecutionTimeout = spec.ExecutionTimeout,
                WorkflowRunTimeout = spec.RunTimeout,
                WorkflowTaskTimeout = Duration.FromTimeSpan(taskTimeout),
                ContinuedExecutionRunId = spec.ContinuedFromRunId ?? string.Empty,
                Initiator = spec.Initiator,
                OriginalExecutionRunId = execution.RunId,
                Identity = spec.Identity,
                FirstExecutionRunId = execution.FirstRunId,
                RetryPolicy = spec.RetryPolicy,
                Attempt = 1,
                Memo = spec.Memo,
                SearchAttributes = spec.SearchAttributes,
                Header = spec.Header,
                Priority = spec.Priority,
            },
        });
        if (withSignal is not null)
        {
            Append(execution, withSignal);
        }

        ScheduleWorkflowTask(execution);
        return execution;
    }

    /// <summary>
    /// Applies the workflow-id policies. Returns the running execution to use instead of starting (UseExisting), or
    /// null when a new run may start; throws AlreadyStarted otherwise.
    /// </summary>
    private Execution? CheckIdPolicies(string ns, string workflowId, string requestId, WorkflowIdReusePolicy reuse, WorkflowIdConflictPolicy conflict, string identity)
    {
        if (!current.TryGetValue(CurrentKey(ns, workflowId), out var existing))
        {
            return null;
        }

        if (existing.Running)
        {
            if (!string.IsNullOrEmpty(requestId) && existing.RequestIds.Contains(requestId))
            {
                return existing;
            }

            if (reuse == WorkflowIdReusePolicy.TerminateIfRunning || conflict == WorkflowIdConflictPolicy.TerminateExisting)
            {
                Terminate(existing, "terminated by a new start with the same workflow id", null, identity);
                return null;
            }

            if (conflict == WorkflowIdConflictPolicy.UseExisting)
            {
                return existing;
            }

            throw AlreadyStarted(existing, requestId);
        }

        var reject = reuse switch
        {
            WorkflowIdReusePolicy.RejectDuplicate => true,
            WorkflowIdReusePolicy.AllowDuplicateFailedOnly => existing.Status is WorkflowExecutionStatus.Completed,
            _ => false,
        };
        return reject ? throw AlreadyStarted(existing, requestId) : null;
    }

    private static RpcException AlreadyStarted(Execution existing, string requestId) =>
        Error(
            StatusCode.AlreadyExists,
            $"Workflow execution already started: {existing.WorkflowId}",
            new WorkflowExecutionAlreadyStartedFailure { StartRequestId = requestId, RunId = existing.RunId });

    public StartWorkflowExecutionResponse StartWorkflowExecution(StartWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var ns = Ns(request.Namespace);
            var conflict = request.WorkflowIdConflictPolicy == WorkflowIdConflictPolicy.Unspecified ? WorkflowIdConflictPolicy.Fail : request.WorkflowIdConflictPolicy;
            var existing = CheckIdPolicies(ns, request.WorkflowId, request.RequestId, request.WorkflowIdReusePolicy, conflict, request.Identity);
            if (existing is not null)
            {
                return new StartWorkflowExecutionResponse { RunId = existing.RunId, Started = false, Status = existing.Status };
            }

            var run = StartRun(new StartSpec
            {
                Namespace = ns,
                WorkflowId = request.WorkflowId,
                WorkflowType = request.WorkflowType.Name,
                TaskQueue = request.TaskQueue.Name,
                Input = request.Input,
                Header = request.Header,
                Memo = request.Memo,
                SearchAttributes = request.SearchAttributes,
                RunTimeout = request.WorkflowRunTimeout,
                ExecutionTimeout = request.WorkflowExecutionTimeout,
                TaskTimeout = request.WorkflowTaskTimeout,
                Identity = request.Identity,
                RequestId = request.RequestId,
                UserMetadata = request.UserMetadata,
                RetryPolicy = request.RetryPolicy,
                Priority = request.Priority,
            });
            return new StartWorkflowExecutionResponse { RunId = run.RunId, Started = true, Status = WorkflowExecutionStatus.Running };
        }
    }

    public SignalWithStartWorkflowExecutionResponse SignalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var ns = Ns(request.Namespace);
            var signal = SignalEvent(request.SignalName, request.SignalInput, request.Identity, request.Header);
            var conflict = request.WorkflowIdConflictPolicy == WorkflowIdConflictPolicy.Unspecified ? WorkflowIdConflictPolicy.UseExisting : request.WorkflowIdConflictPolicy;
            var existing = CheckIdPolicies(ns, request.WorkflowId, string.Empty, request.WorkflowIdReusePolicy, conflict, request.Identity);
            if (existing is not null)
            {
                if (string.IsNullOrEmpty(request.RequestId) || existing.RequestIds.Add(request.RequestId))
                {
                    Happen(existing, signal);
                }

                return new SignalWithStartWorkflowExecutionResponse { RunId = existing.RunId, Started = false };
            }

            var run = StartRun(
                new StartSpec
                {
                    Namespace = ns,
                    WorkflowId = request.WorkflowId,
                    WorkflowType = request.WorkflowType.Name,
                    TaskQueue = request.TaskQueue.Name,
                    Input = request.Input,
                    Header = request.Header,
                    Memo = request.Memo,
                    SearchAttributes = request.SearchAttributes,
                    RunTimeout = request.WorkflowRunTimeout,
                    ExecutionTimeout = request.WorkflowExecutionTimeout,
                    TaskTimeout = request.WorkflowTaskTimeout,
                    Identity = request.Identity,
                    RequestId = request.RequestId,
                    UserMetadata = request.UserMetadata,
                    RetryPolicy = request.RetryPolicy,
                    Priority = request.Priority,
                },
                signal);
            return new SignalWithStartWorkflowExecutionResponse { RunId = run.RunId, Started = true };
        }
    }

    private static HistoryEvent SignalEvent(string name, Payloads? input, string identity, Header? header) => new()
    {
        EventType = EventType.WorkflowExecutionSignaled,
        WorkflowExecutionSignaledEventAttributes = new() { SignalName = name, Input = input, Identity = identity, Header = header },
    };

    public void SignalWorkflowExecution(SignalWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var execution = FindRunning(request.WorkflowExecution, request.Namespace);
            if (!string.IsNullOrEmpty(request.RequestId) && !execution.RequestIds.Add(request.RequestId))
            {
                return;
            }

            Happen(execution, SignalEvent(request.SignalName, request.Input, request.Identity, request.Header));
        }
    }

    public void TerminateWorkflowExecution(TerminateWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var execution = FindRunning(request.WorkflowExecution, request.Namespace);
            Terminate(execution, request.Reason, request.Details, request.Identity);
        }
    }

    private void Terminate(Execution execution, string reason, Payloads? details, string identity)
    {
        execution.Buffered.Clear();
        if (execution.Wft == WorkflowTaskState.Started)
        {
            // The task in flight is abandoned; its completion will find no task.
            EndWorkflowTask(execution);
        }

        Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionTerminated,
            WorkflowExecutionTerminatedEventAttributes = new() { Reason = reason, Details = details, Identity = identity },
        });
        Close(execution, WorkflowExecutionStatus.Terminated);
        DispatchParkedQueries(execution);
    }

    public void RequestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var execution = FindRunning(request.WorkflowExecution, request.Namespace);
            Happen(execution, new HistoryEvent
            {
                EventType = EventType.WorkflowExecutionCancelRequested,
                WorkflowExecutionCancelRequestedEventAttributes = new() { Cause = request.Reason, Identity = request.Identity },
            });
        }
    }

    // ---- Queries ----------------------------------------------------------------------------------------------------

    public async Task<QueryWorkflowResponse> QueryWorkflow(QueryWorkflowRequest request, CancellationToken cancellationToken)
    {
        PendingQuery query;
        lock (sync)
        {
            var execution = Find(Ns(request.Namespace), request.Execution.WorkflowId, request.Execution.RunId);
            query = new PendingQuery { Id = Guid.NewGuid().ToString(), Execution = execution, Query = request.Query };
            queries[query.Id] = query;
            if (execution.Wft == WorkflowTaskState.Started)
            {
                // A query never overtakes the task in flight: it goes out once that task is done.
                execution.ParkedQueries.Add(query);
            }
            else
            {
                DispatchQuery(query);
            }
        }

        using var registration = cancellationToken.Register(() => query.Answer.TrySetCanceled(cancellationToken));
        try
        {
            var (result, error, failure) = await query.Answer.Task;
            if (result is null)
            {
                throw Error(StatusCode.InvalidArgument, error ?? "query failed", new QueryFailedFailure { Failure = failure });
            }

            return new QueryWorkflowResponse { QueryResult = result.Answer };
        }
        finally
        {
            lock (sync)
            {
                queries.Remove(query.Id);
            }
        }
    }

    private void DispatchQuery(PendingQuery query) =>
        matching.Add(TaskQueues.Key(query.Execution.Namespace, "wf", query.Execution.TaskQueue), new QueryTaskRef(query));

    private void DispatchParkedQueries(Execution execution)
    {
        if (execution.Wft == WorkflowTaskState.Started)
        {
            return;
        }

        foreach (var query in execution.ParkedQueries)
        {
            DispatchQuery(query);
        }

        execution.ParkedQueries.Clear();
    }

    /// <summary>
    /// A legacy query task: the query alone, with the run's full history so that a worker without the run in its
    /// cache can rebuild it. It goes to the normal queue.
    /// </summary>
    private PollWorkflowTaskQueueResponse? StartQueryTask(PendingQuery query)
    {
        if (query.Answer.Task.IsCompleted || !queries.ContainsKey(query.Id))
        {
            return null;
        }

        var execution = query.Execution;
        if (execution.Wft == WorkflowTaskState.Started)
        {
            execution.ParkedQueries.Add(query);
            return null;
        }

        var response = new PollWorkflowTaskQueueResponse
        {
            TaskToken = ByteString.CopyFromUtf8($"qry|{query.Id}|0|0"),
            WorkflowExecution = new() { WorkflowId = execution.WorkflowId, RunId = execution.RunId },
            WorkflowType = new() { Name = execution.WorkflowType },
            Query = query.Query,
            History = new History(),
            WorkflowExecutionTaskQueue = new() { Name = execution.TaskQueue, Kind = TaskQueueKind.Normal },
            PreviousStartedEventId = execution.PreviousStartedId,
            StartedEventId = execution.PreviousStartedId,
        };
        response.History.Events.AddRange(execution.History.Select(e => e.Clone()));
        return response;
    }

    public void RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request)
    {
        lock (sync)
        {
            var (kind, id, _, _) = ParseToken(request.TaskToken);
            if (kind != "qry" || !queries.ContainsKey(id))
            {
                throw NotFound("Query task not found.");
            }

            var answered = request.CompletedType == QueryResultType.Answered
                ? new WorkflowQueryResult { ResultType = QueryResultType.Answered, Answer = request.QueryResult }
                : null;
            AnswerQuery(id, answered, request.ErrorMessage, request.Failure);
        }
    }

    private void AnswerQuery(string id, WorkflowQueryResult? result, string? error, Temporalio.Api.Failure.V1.Failure? failure)
    {
        if (queries.TryGetValue(id, out var query))
        {
            query.Answer.TrySetResult((result, error, failure));
        }
    }

    // ---- Visibility -------------------------------------------------------------------------------------------------

    public DescribeWorkflowExecutionResponse DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request)
    {
        lock (sync)
        {
            var execution = Find(Ns(request.Namespace), request.Execution.WorkflowId, request.Execution.RunId);
            var response = new DescribeWorkflowExecutionResponse
            {
                ExecutionConfig = new()
                {
                    TaskQueue = new() { Name = execution.TaskQueue, Kind = TaskQueueKind.Normal },
                    WorkflowExecutionTimeout = execution.ExecutionTimeout,
                    WorkflowRunTimeout = execution.RunTimeout,
                    DefaultWorkflowTaskTimeout = Duration.FromTimeSpan(execution.WorkflowTaskTimeout),
                    UserMetadata = execution.UserMetadata,
                },
                WorkflowExecutionInfo = Info(execution),
            };
            foreach (var activity in execution.Activities.Values)
            {
                response.PendingActivities.Add(new PendingActivityInfo
                {
                    ActivityId = activity.Attributes.ActivityId,
                    ActivityType = activity.Attributes.ActivityType,
                    State = activity.Phase switch
                    {
                        ActivityPhase.Started => activity.CancelRequestedEventId > 0 ? PendingActivityState.CancelRequested : PendingActivityState.Started,
                        _ => PendingActivityState.Scheduled,
                    },
                    HeartbeatDetails = activity.HeartbeatDetails,
                    Attempt = activity.Attempt,
                    MaximumAttempts = activity.Attributes.RetryPolicy.MaximumAttempts,
                    ScheduledTime = Timestamp.FromDateTime(activity.CurrentAttemptScheduledTime),
                    LastStartedTime = activity.StartedTime is { } started ? Timestamp.FromDateTime(started) : null,
                    LastFailure = activity.LastFailure,
                });
            }

            if (execution.Wft != WorkflowTaskState.None)
            {
                response.PendingWorkflowTask = new PendingWorkflowTaskInfo
                {
                    State = execution.Wft == WorkflowTaskState.Started ? PendingWorkflowTaskState.Started : PendingWorkflowTaskState.Scheduled,
                    ScheduledTime = Timestamp.FromDateTime(execution.WftScheduledTime),
                    Attempt = execution.WftAttempt,
                };
            }

            return response;
        }
    }

    private static WorkflowExecutionInfo Info(Execution execution) => new()
    {
        Execution = new() { WorkflowId = execution.WorkflowId, RunId = execution.RunId },
        Type = new() { Name = execution.WorkflowType },
        StartTime = Timestamp.FromDateTime(execution.StartTime),
        ExecutionTime = Timestamp.FromDateTime(execution.StartTime),
        CloseTime = execution.CloseTime is { } closed ? Timestamp.FromDateTime(closed) : null,
        Status = execution.Status,
        HistoryLength = execution.History.Count,
        HistorySizeBytes = execution.HistorySizeBytes,
        Memo = execution.Memo.Clone(),
        SearchAttributes = execution.SearchAttributes.Clone(),
        TaskQueue = execution.TaskQueue,
        FirstRunId = execution.FirstRunId,
    };

    public async Task<GetWorkflowExecutionHistoryResponse> GetWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest request, CancellationToken cancellationToken)
    {
        var from = request.NextPageToken.IsEmpty ? 0 : int.Parse(request.NextPageToken.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
        var closeOnly = request.HistoryEventFilterType == HistoryEventFilterType.CloseEvent;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LongPoll);
        while (true)
        {
            Task changed;
            lock (sync)
            {
                var execution = Find(Ns(request.Namespace), request.Execution.WorkflowId, request.Execution.RunId);
                var response = new GetWorkflowExecutionHistoryResponse { History = new History() };
                if (closeOnly)
                {
                    if (!execution.Running)
                    {
                        response.History.Events.Add(execution.History[^1].Clone());
                        return response;
                    }
                }
                else if (execution.History.Count > from || !request.WaitNewEvent || !execution.Running)
                {
                    var size = request.MaximumPageSize > 0 ? request.MaximumPageSize : int.MaxValue;
                    var page = execution.History.Skip(from).Take(size).Select(e => e.Clone()).ToList();
                    response.History.Events.AddRange(page);
                    var next = from + page.Count;
                    if (next < execution.History.Count || (request.WaitNewEvent && execution.Running))
                    {
                        response.NextPageToken = ByteString.CopyFromUtf8(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    return response;
                }

                changed = execution.Changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // A long poll that times out answers with no events and the same page token, as Temporal does.
                return new GetWorkflowExecutionHistoryResponse { History = new History(), NextPageToken = ByteString.CopyFromUtf8(from.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            }
        }
    }

    public ListWorkflowExecutionsResponse ListWorkflowExecutions(ListWorkflowExecutionsRequest request)
    {
        lock (sync)
        {
            var response = new ListWorkflowExecutionsResponse();
            response.Executions.AddRange(Matching(Ns(request.Namespace), request.Query).Select(Info));
            return response;
        }
    }

    public CountWorkflowExecutionsResponse CountWorkflowExecutions(CountWorkflowExecutionsRequest request)
    {
        lock (sync)
        {
            return new CountWorkflowExecutionsResponse { Count = Matching(Ns(request.Namespace), request.Query).Count() };
        }
    }

    /// <summary>
    /// The basic list: conditions <c>Key = 'value'</c> (or <c>!=</c>) joined by AND over WorkflowId, WorkflowType,
    /// ExecutionStatus, TaskQueue and custom search attributes; newest first. No OR, ranges, ORDER BY or LIKE.
    /// </summary>
    private IEnumerable<Execution> Matching(string ns, string query)
    {
        var conditions = VisibilityQuery.Parse(query);
        return runs.Values
            .Where(r => r.Namespace == ns && conditions.All(c => c.Matches(ValueOf(r, c.Key))))
            .OrderByDescending(r => r.StartTime)
            .ToList();
    }

    private static string? ValueOf(Execution run, string key) => key switch
    {
        "WorkflowId" => run.WorkflowId,
        "RunId" => run.RunId,
        "WorkflowType" => run.WorkflowType,
        "TaskQueue" => run.TaskQueue,
        "ExecutionStatus" => run.Status.ToString(),
        _ => run.SearchAttributes.IndexedFields.TryGetValue(key, out var payload) ? PayloadText(payload) : null,
    };

    private static string? PayloadText(Payload payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload.Data.Memory);
            return json.RootElement.ValueKind switch
            {
                JsonValueKind.String => json.RootElement.GetString(),
                JsonValueKind.Array => string.Join(",", json.RootElement.EnumerateArray().Select(e => e.ToString())),
                _ => json.RootElement.GetRawText(),
            };
        }
        catch (JsonException)
        {
            return payload.Data.ToStringUtf8();
        }
    }

    // ---- Namespace, workers -----------------------------------------------------------------------------------------

    public void ShutdownWorker(ShutdownWorkerRequest request)
    {
        lock (sync)
        {
            matching.ReleaseIdentity(request.Identity);
            if (!string.IsNullOrEmpty(request.StickyTaskQueue))
            {
                ResetSticky(request.StickyTaskQueue);
            }
        }
    }

    /// <summary>Runs bound to a sticky queue that is gone go back to the normal queue; a task waiting there moves too.</summary>
    private void ResetSticky(string stickyQueue)
    {
        matching.ReleaseQueue(TaskQueues.Key(Options.Namespace, "wf", stickyQueue));
        foreach (var execution in runs.Values.Where(r => r.Running && r.StickyQueue == stickyQueue))
        {
            execution.StickyQueue = null;
            if (execution.Wft == WorkflowTaskState.Scheduled && execution.WftQueue == stickyQueue)
            {
                execution.WftTimer?.Cancel();
                execution.WftQueue = execution.TaskQueue;
                matching.Add(TaskQueues.Key(execution.Namespace, "wf", execution.TaskQueue), new WorkflowTaskRef(execution, execution.WftScheduledId, execution.WftAttempt));
            }
        }
    }

    public void ResetStickyTaskQueue(ResetStickyTaskQueueRequest request)
    {
        lock (sync)
        {
            var execution = Find(Ns(request.Namespace), request.Execution.WorkflowId, request.Execution.RunId);
            execution.StickyQueue = null;
        }
    }
}
