using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;

namespace AbandonedCart.TemporalStandIn;

public sealed partial class StandInEngine
{
    /// <summary>Writes the events of one command; true when it also produced an event the workflow must see.</summary>
    private bool ApplyCommand(Execution execution, Command command, long completedId, string identity)
    {
        HistoryEvent Write(HistoryEvent e)
        {
            e.UserMetadata = command.UserMetadata;
            return Append(execution, e);
        }

        switch (command.CommandType)
        {
            case CommandType.ScheduleActivityTask:
                ScheduleActivity(execution, command.ScheduleActivityTaskCommandAttributes, completedId, command.UserMetadata);
                return false;
            case CommandType.RequestCancelActivityTask:
                return RequestCancelActivity(execution, command.RequestCancelActivityTaskCommandAttributes.ScheduledEventId, completedId);
            case CommandType.StartTimer:
            {
                var attributes = command.StartTimerCommandAttributes;
                var started = Write(new HistoryEvent
                {
                    EventType = EventType.TimerStarted,
                    TimerStartedEventAttributes = new()
                    {
                        TimerId = attributes.TimerId,
                        StartToFireTimeout = attributes.StartToFireTimeout,
                        WorkflowTaskCompletedEventId = completedId,
                    },
                });
                var startedId = started.EventId;
                var timerId = attributes.TimerId;
                var timer = Clock.After(attributes.StartToFireTimeout.ToTimeSpan(), () =>
                {
                    lock (sync)
                    {
                        if (execution.Timers.Remove(timerId))
                        {
                            Happen(execution, new HistoryEvent
                            {
                                EventType = EventType.TimerFired,
                                TimerFiredEventAttributes = new() { TimerId = timerId, StartedEventId = startedId },
                            });
                        }
                    }
                });
                execution.Timers[timerId] = (startedId, timer);
                return false;
            }

            case CommandType.CancelTimer:
            {
                var timerId = command.CancelTimerCommandAttributes.TimerId;
                if (execution.Timers.Remove(timerId, out var timer))
                {
                    timer.Timer.Cancel();
                    Write(new HistoryEvent
                    {
                        EventType = EventType.TimerCanceled,
                        TimerCanceledEventAttributes = new()
                        {
                            TimerId = timerId,
                            StartedEventId = timer.StartedId,
                            WorkflowTaskCompletedEventId = completedId,
                            Identity = identity,
                        },
                    });
                }

                return false;
            }

            case CommandType.RecordMarker:
            {
                var attributes = command.RecordMarkerCommandAttributes;
                var e = new HistoryEvent
                {
                    EventType = EventType.MarkerRecorded,
                    MarkerRecordedEventAttributes = new()
                    {
                        MarkerName = attributes.MarkerName,
                        WorkflowTaskCompletedEventId = completedId,
                        Header = attributes.Header,
                        Failure = attributes.Failure,
                    },
                };
                e.MarkerRecordedEventAttributes.Details.Add(attributes.Details);
                Write(e);
                return false;
            }

            case CommandType.UpsertWorkflowSearchAttributes:
            {
                var attributes = command.UpsertWorkflowSearchAttributesCommandAttributes.SearchAttributes;
                Write(new HistoryEvent
                {
                    EventType = EventType.UpsertWorkflowSearchAttributes,
                    UpsertWorkflowSearchAttributesEventAttributes = new() { WorkflowTaskCompletedEventId = completedId, SearchAttributes = attributes },
                });
                Merge(execution.SearchAttributes.IndexedFields, attributes.IndexedFields);
                return false;
            }

            case CommandType.ModifyWorkflowProperties:
            {
                var memo = command.ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo;
                Write(new HistoryEvent
                {
                    EventType = EventType.WorkflowPropertiesModified,
                    WorkflowPropertiesModifiedEventAttributes = new() { WorkflowTaskCompletedEventId = completedId, UpsertedMemo = memo },
                });
                Merge(execution.Memo.Fields, memo.Fields);
                return false;
            }

            case CommandType.CompleteWorkflowExecution:
                Write(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionCompleted,
                    WorkflowExecutionCompletedEventAttributes = new()
                    {
                        Result = command.CompleteWorkflowExecutionCommandAttributes.Result,
                        WorkflowTaskCompletedEventId = completedId,
                    },
                });
                Close(execution, WorkflowExecutionStatus.Completed);
                return false;
            case CommandType.FailWorkflowExecution:
                Write(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionFailed,
                    WorkflowExecutionFailedEventAttributes = new()
                    {
                        Failure = command.FailWorkflowExecutionCommandAttributes.Failure,
                        RetryState = RetryState.RetryPolicyNotSet,
                        WorkflowTaskCompletedEventId = completedId,
                    },
                });
                Close(execution, WorkflowExecutionStatus.Failed);
                return false;
            case CommandType.CancelWorkflowExecution:
                Write(new HistoryEvent
                {
                    EventType = EventType.WorkflowExecutionCanceled,
                    WorkflowExecutionCanceledEventAttributes = new()
                    {
                        Details = command.CancelWorkflowExecutionCommandAttributes.Details,
                        WorkflowTaskCompletedEventId = completedId,
                    },
                });
                Close(execution, WorkflowExecutionStatus.Canceled);
                return false;
            case CommandType.ContinueAsNewWorkflowExecution:
                ContinueAsNew(execution, command.ContinueAsNewWorkflowExecutionCommandAttributes, completedId);
                return false;
            default:
                throw Error(StatusCode.Unimplemented, $"the in-process stand-in does not implement command {command.CommandType}");
        }
    }

    private static void Merge(Google.Protobuf.Collections.MapField<string, Payload> into, Google.Protobuf.Collections.MapField<string, Payload> from)
    {
        foreach (var (key, value) in from)
        {
            // An empty payload (no data, or JSON null) removes the attribute, as Temporal does.
            if (value.Data.IsEmpty || value.Data.ToStringUtf8() == "null")
            {
                into.Remove(key);
            }
            else
            {
                into[key] = value;
            }
        }
    }

    private void Close(Execution execution, WorkflowExecutionStatus status)
    {
        execution.Status = status;
        execution.CloseTime = Clock.Now;
        foreach (var (_, timer) in execution.Timers)
        {
            timer.Timer.Cancel();
        }

        execution.Timers.Clear();
        foreach (var activity in execution.Activities.Values)
        {
            StopActivityTimers(activity);
        }

        execution.Activities.Clear();
        if (execution.Wft == WorkflowTaskState.Scheduled)
        {
            EndWorkflowTask(execution);
        }

        Notify(execution);
    }

    private void ContinueAsNew(Execution execution, ContinueAsNewWorkflowExecutionCommandAttributes attributes, long completedId)
    {
        var runId = Guid.NewGuid().ToString();
        var taskQueue = string.IsNullOrEmpty(attributes.TaskQueue?.Name) ? execution.TaskQueue : attributes.TaskQueue.Name;
        var type = string.IsNullOrEmpty(attributes.WorkflowType?.Name) ? execution.WorkflowType : attributes.WorkflowType.Name;
        Append(execution, new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionContinuedAsNew,
            WorkflowExecutionContinuedAsNewEventAttributes = new()
            {
                NewExecutionRunId = runId,
                WorkflowType = new() { Name = type },
                TaskQueue = new() { Name = taskQueue, Kind = TaskQueueKind.Normal },
                Input = attributes.Input,
                WorkflowRunTimeout = attributes.WorkflowRunTimeout,
                WorkflowTaskTimeout = attributes.WorkflowTaskTimeout ?? Duration.FromTimeSpan(execution.WorkflowTaskTimeout),
                WorkflowTaskCompletedEventId = completedId,
                BackoffStartInterval = attributes.BackoffStartInterval,
                Initiator = attributes.Initiator,
                Failure = attributes.Failure,
                LastCompletionResult = attributes.LastCompletionResult,
                Header = attributes.Header,
                Memo = attributes.Memo,
                SearchAttributes = attributes.SearchAttributes,
            },
        });
        execution.NewRunId = runId;
        Close(execution, WorkflowExecutionStatus.ContinuedAsNew);

        // The new run keeps the memo and search attributes unless the command replaces them.
        var memo = attributes.Memo ?? execution.Memo.Clone();
        var searchAttributes = attributes.SearchAttributes ?? execution.SearchAttributes.Clone();
        StartRun(new StartSpec
        {
            Namespace = execution.Namespace,
            WorkflowId = execution.WorkflowId,
            RunId = runId,
            FirstRunId = execution.FirstRunId,
            ContinuedFromRunId = execution.RunId,
            WorkflowType = type,
            TaskQueue = taskQueue,
            Input = attributes.Input,
            Header = attributes.Header,
            Memo = memo,
            SearchAttributes = searchAttributes,
            RunTimeout = attributes.WorkflowRunTimeout,
            ExecutionTimeout = execution.ExecutionTimeout,
            TaskTimeout = attributes.WorkflowTaskTimeout,
            Identity = string.Empty,
            Initiator = ContinueAsNewInitiator.Workflow,
        });
    }

    // ---- Activities -------------------------------------------------------------------------------------------------

    private void ScheduleActivity(Execution execution, ScheduleActivityTaskCommandAttributes command, long completedId, UserMetadata? metadata)
    {
        // Server defaults: schedule-to-close bounds everything; start-to-close falls back to it and vice versa.
        var scheduleToClose = command.ScheduleToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var startToClose = command.StartToCloseTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        var scheduleToStart = command.ScheduleToStartTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (startToClose <= TimeSpan.Zero)
        {
            startToClose = scheduleToClose;
        }

        if (scheduleToStart <= TimeSpan.Zero || (scheduleToClose > TimeSpan.Zero && scheduleToStart > scheduleToClose))
        {
            scheduleToStart = scheduleToClose;
        }

        var retry = command.RetryPolicy?.Clone() ?? new RetryPolicy();
        if (retry.InitialInterval is null || retry.InitialInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            retry.InitialInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        }

        if (retry.BackoffCoefficient <= 0)
        {
            retry.BackoffCoefficient = 2;
        }

        if (retry.MaximumInterval is null || retry.MaximumInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            retry.MaximumInterval = Duration.FromTimeSpan(retry.InitialInterval.ToTimeSpan() * 100);
        }

        var attributes = new ActivityTaskScheduledEventAttributes
        {
            ActivityId = command.ActivityId,
            ActivityType = command.ActivityType,
            TaskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name) ? new TaskQueue { Name = execution.TaskQueue, Kind = TaskQueueKind.Normal } : command.TaskQueue,
            Header = command.Header,
            Input = command.Input,
            ScheduleToCloseTimeout = Duration.FromTimeSpan(scheduleToClose),
            ScheduleToStartTimeout = Duration.FromTimeSpan(scheduleToStart),
            StartToCloseTimeout = Duration.FromTimeSpan(startToClose),
            HeartbeatTimeout = command.HeartbeatTimeout ?? Duration.FromTimeSpan(TimeSpan.Zero),
            WorkflowTaskCompletedEventId = completedId,
            RetryPolicy = retry,
            UseWorkflowBuildId = command.UseWorkflowBuildId,
            Priority = command.Priority,
        };
        var scheduled = Append(execution, new HistoryEvent
        {
            EventType = EventType.ActivityTaskScheduled,
            ActivityTaskScheduledEventAttributes = attributes,
            UserMetadata = metadata,
        });
        var activity = new ActivityState
        {
            ScheduledEventId = scheduled.EventId,
            Attributes = attributes,
            ScheduledTime = Clock.Now,
        };
        execution.Activities[activity.ScheduledEventId] = activity;
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToCloseTimer = Clock.After(scheduleToClose, () => OnActivityTimeout(execution, activity, activity.Attempt, TimeoutType.ScheduleToClose));
        }

        DispatchActivity(execution, activity);
    }

    private void DispatchActivity(Execution execution, ActivityState activity)
    {
        activity.Phase = ActivityPhase.Scheduled;
        activity.CurrentAttemptScheduledTime = Clock.Now;
        HoldClock(activity, true);
        var attempt = activity.Attempt;
        var scheduleToStart = activity.Attributes.ScheduleToStartTimeout.ToTimeSpan();
        if (scheduleToStart > TimeSpan.Zero && scheduleToStart != activity.Attributes.ScheduleToCloseTimeout.ToTimeSpan())
        {
            activity.AttemptTimers.Add(Clock.After(scheduleToStart, () => OnActivityTimeout(execution, activity, attempt, TimeoutType.ScheduleToStart)));
        }

        matching.Add(TaskQueues.Key(execution.Namespace, "act", activity.Attributes.TaskQueue.Name), new ActivityTaskRef(execution, activity.ScheduledEventId, attempt));
    }

    /// <summary>An activity waiting for or running on a worker keeps the clock from skipping; one in backoff does not.</summary>
    private void HoldClock(ActivityState activity, bool hold)
    {
        if (hold && !activity.HoldsClock)
        {
            Clock.Lock();
        }
        else if (!hold && activity.HoldsClock)
        {
            Clock.Unlock();
        }

        activity.HoldsClock = hold;
    }

    private void StopActivityTimers(ActivityState activity)
    {
        foreach (var timer in activity.AttemptTimers)
        {
            timer.Cancel();
        }

        activity.AttemptTimers.Clear();
        activity.HeartbeatTimer?.Cancel();
        activity.HeartbeatTimer = null;
        activity.ScheduleToCloseTimer?.Cancel();
        HoldClock(activity, false);
    }

    public async Task<PollActivityTaskQueueResponse> PollActivityTaskQueue(PollActivityTaskQueueRequest request, CancellationToken cancellationToken)
    {
        var key = TaskQueues.Key(Ns(request.Namespace), "act", request.TaskQueue.Name);
        while (true)
        {
            if (await TakeAsync(key, request.Identity, cancellationToken) is not ActivityTaskRef task)
            {
                return new PollActivityTaskQueueResponse();
            }

            lock (sync)
            {
                var execution = task.Execution;
                if (!execution.Running || !execution.Activities.TryGetValue(task.ScheduledId, out var activity)
                    || activity.Phase != ActivityPhase.Scheduled || activity.Attempt != task.Attempt)
                {
                    continue;
                }

                foreach (var timer in activity.AttemptTimers)
                {
                    timer.Cancel();
                }

                activity.AttemptTimers.Clear();
                activity.Phase = ActivityPhase.Started;
                activity.StartedTime = Clock.Now;
                activity.StartedIdentity = request.Identity;
                activity.RequestId = Guid.NewGuid().ToString();
                var attributes = activity.Attributes;
                var attempt = activity.Attempt;
                var startToClose = attributes.StartToCloseTimeout.ToTimeSpan();
                if (startToClose > TimeSpan.Zero)
                {
                    activity.AttemptTimers.Add(Clock.After(startToClose, () => OnActivityTimeout(execution, activity, attempt, TimeoutType.StartToClose)));
                }

                ArmHeartbeat(execution, activity);
                return new PollActivityTaskQueueResponse
                {
                    TaskToken = Token("act", execution.RunId, activity.ScheduledEventId, attempt),
                    WorkflowNamespace = execution.Namespace,
                    WorkflowType = new() { Name = execution.WorkflowType },
                    WorkflowExecution = new() { WorkflowId = execution.WorkflowId, RunId = execution.RunId },
                    ActivityType = attributes.ActivityType,
                    ActivityId = attributes.ActivityId,
                    Header = attributes.Header,
                    Input = attributes.Input,
                    HeartbeatDetails = activity.HeartbeatDetails,
                    ScheduledTime = Timestamp.FromDateTime(activity.ScheduledTime),
                    CurrentAttemptScheduledTime = Timestamp.FromDateTime(activity.CurrentAttemptScheduledTime),
                    StartedTime = Timestamp.FromDateTime(activity.StartedTime.Value),
                    Attempt = attempt,
                    ScheduleToCloseTimeout = attributes.ScheduleToCloseTimeout,
                    StartToCloseTimeout = attributes.StartToCloseTimeout,
                    HeartbeatTimeout = attributes.HeartbeatTimeout,
                    RetryPolicy = attributes.RetryPolicy,
                    Priority = attributes.Priority,
                };
            }
        }
    }

    private void ArmHeartbeat(Execution execution, ActivityState activity)
    {
        activity.HeartbeatTimer?.Cancel();
        var heartbeat = activity.Attributes.HeartbeatTimeout?.ToTimeSpan() ?? TimeSpan.Zero;
        if (heartbeat > TimeSpan.Zero)
        {
            var attempt = activity.Attempt;
            activity.HeartbeatTimer = Clock.After(heartbeat, () => OnActivityTimeout(execution, activity, attempt, TimeoutType.Heartbeat));
        }
    }

    private (Execution Execution, ActivityState Activity) ActivityOf(ByteString token)
    {
        var (kind, runId, id, attempt) = ParseToken(token);
        if (kind != "act" || !runs.TryGetValue(runId, out var execution) || !execution.Running
            || !execution.Activities.TryGetValue(id, out var activity) || activity.Attempt != attempt || activity.Phase != ActivityPhase.Started)
        {
            throw NotFound("Activity task not found.");
        }

        return (execution, activity);
    }

    public RecordActivityTaskHeartbeatResponse RecordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest request)
    {
        lock (sync)
        {
            var (execution, activity) = ActivityOf(request.TaskToken);
            activity.HeartbeatDetails = request.Details;
            ArmHeartbeat(execution, activity);
            return new RecordActivityTaskHeartbeatResponse { CancelRequested = activity.CancelRequestedEventId > 0 };
        }
    }

    public void CompleteActivity(ByteString token, Payloads? result, string identity)
    {
        lock (sync)
        {
            var (execution, activity) = ActivityOf(token);
            CloseActivity(execution, activity, started => new HistoryEvent
            {
                EventType = EventType.ActivityTaskCompleted,
                ActivityTaskCompletedEventAttributes = new()
                {
                    Result = result,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = started,
                    Identity = identity,
                },
            });
        }
    }

    public void CancelActivity(ByteString token, Payloads? details, string identity)
    {
        lock (sync)
        {
            var (execution, activity) = ActivityOf(token);
            CloseActivity(execution, activity, started => new HistoryEvent
            {
                EventType = EventType.ActivityTaskCanceled,
                ActivityTaskCanceledEventAttributes = new()
                {
                    Details = details,
                    LatestCancelRequestedEventId = activity.CancelRequestedEventId,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = started,
                    Identity = identity,
                },
            });
        }
    }

    public void FailActivity(ByteString token, Failure failure, string identity, Payloads? lastHeartbeatDetails)
    {
        lock (sync)
        {
            var (execution, activity) = ActivityOf(token);
            if (lastHeartbeatDetails is not null)
            {
                activity.HeartbeatDetails = lastHeartbeatDetails;
            }

            var info = failure.ApplicationFailureInfo;
            var nonRetryable = info is not null
                && (info.NonRetryable || activity.Attributes.RetryPolicy.NonRetryableErrorTypes.Contains(info.Type));
            var delay = info?.NextRetryDelay?.ToTimeSpan();
            if (TryRetry(execution, activity, failure, nonRetryable, delay, out var retryState))
            {
                return;
            }

            CloseActivity(execution, activity, started => new HistoryEvent
            {
                EventType = EventType.ActivityTaskFailed,
                ActivityTaskFailedEventAttributes = new()
                {
                    Failure = failure,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = started,
                    Identity = identity,
                    RetryState = retryState,
                },
            });
        }
    }

    /// <summary>Schedules the next attempt after the retry policy's backoff when the policy and the deadline allow it.</summary>
    private bool TryRetry(Execution execution, ActivityState activity, Failure failure, bool nonRetryable, TimeSpan? nextDelay, out RetryState state)
    {
        var policy = activity.Attributes.RetryPolicy;
        if (nonRetryable)
        {
            state = RetryState.NonRetryableFailure;
            return false;
        }

        if (policy.MaximumAttempts > 0 && activity.Attempt >= policy.MaximumAttempts)
        {
            state = RetryState.MaximumAttemptsReached;
            return false;
        }

        var backoff = nextDelay ?? TimeSpan.FromTicks((long)Math.Min(
            policy.MaximumInterval.ToTimeSpan().Ticks,
            policy.InitialInterval.ToTimeSpan().Ticks * Math.Pow(policy.BackoffCoefficient, activity.Attempt - 1)));
        var scheduleToClose = activity.Attributes.ScheduleToCloseTimeout.ToTimeSpan();
        if (scheduleToClose > TimeSpan.Zero && Clock.Now + backoff >= activity.ScheduledTime + scheduleToClose)
        {
            state = RetryState.Timeout;
            return false;
        }

        state = RetryState.InProgress;
        foreach (var timer in activity.AttemptTimers)
        {
            timer.Cancel();
        }

        activity.AttemptTimers.Clear();
        activity.HeartbeatTimer?.Cancel();
        activity.LastFailure = failure;
        activity.Attempt++;
        activity.Phase = ActivityPhase.Backoff;
        HoldClock(activity, false);
        var attempt = activity.Attempt;
        activity.AttemptTimers.Add(Clock.After(backoff, () =>
        {
            lock (sync)
            {
                if (execution.Running && execution.Activities.ContainsKey(activity.ScheduledEventId) && activity.Attempt == attempt && activity.Phase == ActivityPhase.Backoff)
                {
                    activity.AttemptTimers.Clear();
                    DispatchActivity(execution, activity);
                }
            }
        }));
        return true;
    }

    private void OnActivityTimeout(Execution execution, ActivityState activity, int attempt, TimeoutType type)
    {
        lock (sync)
        {
            if (!execution.Running || !execution.Activities.ContainsKey(activity.ScheduledEventId) || activity.Attempt != attempt)
            {
                return;
            }

            var failure = new Failure
            {
                Message = $"activity {type switch { TimeoutType.StartToClose => "StartToClose", TimeoutType.Heartbeat => "Heartbeat", TimeoutType.ScheduleToStart => "ScheduleToStart", _ => "ScheduleToClose" }} timeout",
                Source = "Server",
                TimeoutFailureInfo = new() { TimeoutType = type, LastHeartbeatDetails = activity.HeartbeatDetails },
                Cause = activity.LastFailure,
            };
            var retryable = type is TimeoutType.StartToClose or TimeoutType.Heartbeat;
            var state = RetryState.Timeout;
            if (retryable && TryRetry(execution, activity, failure, false, null, out state))
            {
                return;
            }

            CloseActivity(execution, activity, started => new HistoryEvent
            {
                EventType = EventType.ActivityTaskTimedOut,
                ActivityTaskTimedOutEventAttributes = new()
                {
                    Failure = failure,
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = started,
                    RetryState = type is TimeoutType.ScheduleToClose or TimeoutType.ScheduleToStart ? RetryState.Timeout : state,
                },
            });
        }
    }

    /// <summary>
    /// Writes the activity's end. Like Temporal, the started event of an activity with a retry policy is written only
    /// now, with the final attempt and the previous attempt's failure, right before the closing event.
    /// </summary>
    private void CloseActivity(Execution execution, ActivityState activity, Func<long, HistoryEvent> closing)
    {
        StopActivityTimers(activity);
        execution.Activities.Remove(activity.ScheduledEventId);
        var now = Timestamp.FromDateTime(Clock.Now);
        var startedTime = activity.StartedTime is { } t ? Timestamp.FromDateTime(t) : null;
        var wasStarted = activity.Phase == ActivityPhase.Started;
        var attempt = activity.Attempt;
        var identity = activity.StartedIdentity ?? string.Empty;
        var requestId = activity.RequestId ?? string.Empty;
        var lastFailure = activity.LastFailure;
        Happen(execution, () =>
        {
            long startedId = 0;
            if (wasStarted)
            {
                startedId = Append(execution, new HistoryEvent
                {
                    EventType = EventType.ActivityTaskStarted,
                    EventTime = startedTime,
                    ActivityTaskStartedEventAttributes = new()
                    {
                        ScheduledEventId = activity.ScheduledEventId,
                        Identity = identity,
                        RequestId = requestId,
                        Attempt = attempt,
                        LastFailure = lastFailure,
                    },
                }).EventId;
            }

            var e = closing(startedId);
            e.EventTime = now;
            Append(execution, e);
        });
    }

    private bool RequestCancelActivity(Execution execution, long scheduledId, long completedId)
    {
        var requested = Append(execution, new HistoryEvent
        {
            EventType = EventType.ActivityTaskCancelRequested,
            ActivityTaskCancelRequestedEventAttributes = new() { ScheduledEventId = scheduledId, WorkflowTaskCompletedEventId = completedId },
        });
        if (!execution.Activities.TryGetValue(scheduledId, out var activity))
        {
            return false;
        }

        activity.CancelRequestedEventId = requested.EventId;
        if (activity.Phase == ActivityPhase.Started)
        {
            // The worker learns of it on its next heartbeat and answers with RespondActivityTaskCanceled.
            return false;
        }

        StopActivityTimers(activity);
        execution.Activities.Remove(scheduledId);
        Append(execution, new HistoryEvent
        {
            EventType = EventType.ActivityTaskCanceled,
            ActivityTaskCanceledEventAttributes = new()
            {
                LatestCancelRequestedEventId = requested.EventId,
                ScheduledEventId = scheduledId,
                StartedEventId = 0,
            },
        });
        return true;
    }
}
