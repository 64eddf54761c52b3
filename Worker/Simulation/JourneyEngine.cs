using System.Reflection;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Activities;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Worker;

namespace AbandonedCart.Worker.Simulation;

/// <summary>Settings of a <see cref="JourneyEngine"/>.</summary>
public sealed record JourneyEngineOptions
{
    /// <summary>Workflow classes the engine can run.</summary>
    public required IReadOnlyList<System.Type> Workflows { get; init; }

    /// <summary>Classes or interfaces with <c>[Activity]</c> methods: their parameter types decode activity arguments.</summary>
    public IReadOnlyList<System.Type> ActivityContracts { get; init; } = [];

    /// <summary>Upper bound for one replay; a malformed history can make core hang rather than fail.</summary>
    public TimeSpan ReplayTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>The simulation could not go on: a workflow task failed, a replay failed, or the workflow ran away.</summary>
public sealed class JourneyEngineException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs real workflow code forward in virtual time with no Temporal server (replay-driven stepping): it replays the history built so far with the real SDK and core, takes the commands of the new
/// last workflow task, appends the events a server would record for them, lets the next outside happening occur
/// (activities answer at once; otherwise the earliest timer or scripted happening), and replays again until the
/// workflow closes or nothing is left to happen. One engine runs one simulation at a time and reuses its replayer.
/// </summary>
public sealed class JourneyEngine
{
    private readonly JourneyEngineOptions options;
    private readonly WorkflowReplayer replayer;
    private readonly WorkflowTaskTap tap = new();
    private readonly Dictionary<string, System.Type[]> activityParameters;
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    public JourneyEngine(JourneyEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        var replayerOptions = new WorkflowReplayerOptions { LoggerFactory = options.LoggerFactory };
        foreach (var workflow in options.Workflows)
        {
            replayerOptions.AddWorkflow(workflow);
        }

        tap.Attach(replayerOptions);
        replayer = new WorkflowReplayer(replayerOptions);
        activityParameters = options.ActivityContracts
            .SelectMany(t => t.GetMethods())
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => ActivityDefinition.Create(m, _ => null))
            .ToDictionary(d => d.Name!, d => d.ParameterTypes.ToArray());
    }

    public static DataConverter DataConverter => DataConverter.Default;

    private static IPayloadConverter Payloads => DataConverter.PayloadConverter;

    public async Task<JourneyRun> RunAsync(JourneyScript script, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        await oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var session = new ReplaySession(replayer, options.ReplayTimeout);
            return await new Simulation(this, session, script).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    private static string? Text(Payload? payload) => payload is null ? null : Payloads.ToValue<string>(payload);

    private static Payloads ToPayloads(IEnumerable<object?> values)
    {
        var payloads = new Payloads();
        payloads.Payloads_.Add(values.Select(Payloads.ToPayload));
        return payloads;
    }

    /// <summary>
    /// One replay worker fed history after history for a whole simulation. A fresh worker per step costs tens of
    /// milliseconds; the streaming replayer keeps one and replays each pushed history in turn.
    /// </summary>
    private sealed class ReplaySession(WorkflowReplayer replayer, TimeSpan timeout) : IAsyncDisposable
    {
        private readonly Channel<Temporalio.Common.WorkflowHistory> histories = Channel.CreateUnbounded<Temporalio.Common.WorkflowHistory>();
        private IAsyncEnumerator<WorkflowReplayResult>? results;

        public async Task<WorkflowReplayResult> ReplayAsync(Temporalio.Common.WorkflowHistory history, CancellationToken cancellationToken)
        {
            results ??= replayer.ReplayWorkflowsAsync(histories.Reader.ReadAllAsync(CancellationToken.None), throwOnReplayFailure: false, CancellationToken.None)
                .GetAsyncEnumerator(CancellationToken.None);
            histories.Writer.TryWrite(history);
            var more = await results.MoveNextAsync().AsTask().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return more ? results.Current : throw new JourneyEngineException("The replay worker stopped.");
        }

        public async ValueTask DisposeAsync()
        {
            histories.Writer.TryComplete();
            if (results is null)
            {
                return;
            }

            try
            {
                // Draining lets the replayer shut its worker down; a hung replay must not hang the caller too.
                await results.MoveNextAsync().AsTask().WaitAsync(timeout).ConfigureAwait(false);
                await results.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // After a failed or timed-out step the worker may not stop cleanly; that step's error is the one to report.
            }
        }
    }

    /// <summary>The state of one simulation: the run being built, what is pending, and what happened so far.</summary>
    private sealed class Simulation(JourneyEngine engine, ReplaySession session, JourneyScript script)
    {
        private readonly List<JourneyStep> steps = [];
        private readonly List<RunHistory> runs = [];
        private readonly Queue<JourneyHappening> happenings = new(script.Happenings.OrderBy(h => h.At));
        private readonly SortedDictionary<uint, PendingTimer> timers = [];
        private readonly List<PendingActivity> activities = [];
        private readonly Dictionary<string, Payload> searchAttributes = [];
        private readonly Dictionary<string, Payload> memo = [];
        private RunHistory history = null!;
        private DateTimeOffset now = script.Start;
        private TapActivation? last;
        private int tasks;

        public async Task<JourneyRun> RunAsync(CancellationToken cancellationToken)
        {
            if (script.SearchAttributes is { } initial)
            {
                Merge(searchAttributes, initial.ToProto().IndexedFields);
            }

            StartRun(script.WorkflowType, ToPayloads(script.Args), continuedFrom: null);
            while (true)
            {
                if (++tasks > script.MaxWorkflowTasks)
                {
                    throw new JourneyEngineException($"More than {script.MaxWorkflowTasks} workflow tasks: the workflow does not end.");
                }

                var commands = await ReplayAsync(cancellationToken).ConfigureAwait(false);
                var closed = Record(commands);
                if (closed)
                {
                    break;
                }

                if (!NextHappening())
                {
                    break;
                }
            }

            return new JourneyRun
            {
                Steps = steps,
                Histories = runs.Select(r => r.ToHistory()).ToList(),
                DataConverter = DataConverter,
                SearchAttributes = last?.SearchAttributes ?? SearchAttributeCollection.Empty,
                CurrentDetails = last?.CurrentDetails,
                Workflow = last?.Workflow,
            };
        }

        private int RunNumber => runs.Count;

        private void StartRun(string workflowType, Payloads input, RunHistory? continuedFrom)
        {
            history = new RunHistory(script.WorkflowId, RunHistory.RunIdFor(script.WorkflowId, runs.Count + 1), script.TaskQueue);
            runs.Add(history);
            var attributes = new SearchAttributes();
            attributes.IndexedFields.Add(searchAttributes);
            var startMemo = new Memo();
            startMemo.Fields.Add(memo);
            history.Started(
                now, workflowType, input, attributes.IndexedFields.Count > 0 ? attributes : null, startMemo.Fields.Count > 0 ? startMemo : null,
                script.StaticSummary, runs[0].RunId, continuedFrom?.RunId,
                script.StaticSummary is null ? null : Payloads.ToPayload(script.StaticSummary));

            // Like signal-with-start: whatever is scripted for the start instant (or before) is in the first task.
            while (continuedFrom is null && happenings.Count > 0 && happenings.Peek().At <= now)
            {
                Happen(happenings.Dequeue());
            }

            history.TaskStarted(now);
            timers.Clear();
            activities.Clear();
        }

        private async Task<IReadOnlyList<TapCommand>> ReplayAsync(CancellationToken cancellationToken)
        {
            engine.tap.Reset();
            WorkflowReplayResult result;
            try
            {
                result = await session.ReplayAsync(history.ToHistory(), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new JourneyEngineException($"Replay of run {RunNumber} at {now:O} did not finish in {engine.options.ReplayTimeout}.", e);
            }

            var activations = engine.tap.Activations;
            if (activations.FirstOrDefault(a => a.TaskFailure is not null) is { } failed)
            {
                throw new JourneyEngineException(
                    $"The workflow task at {now:O} (run {RunNumber}) failed: {failed.TaskFailure!.Message}", failed.TaskFailure);
            }

            if (result.ReplayFailure is { } failure)
            {
                throw new JourneyEngineException($"Replay of run {RunNumber} at {now:O} failed: {failure.Message}", failure);
            }

            if (activations.Count == 0 || activations.Any(a => a.Commands is null))
            {
                throw new JourneyEngineException($"The workflow task at {now:O} (run {RunNumber}) did not run or did not complete.");
            }

            last = activations[^1];
            return Normalize(activations.SelectMany(a => a.Commands!).ToList());
        }

        /// <summary>
        /// Does what core does before sending commands to the server: a timer or activity started and canceled in the
        /// same task never reaches the server, and a terminal command goes last (core flag 3).
        /// </summary>
        private static List<TapCommand> Normalize(List<TapCommand> commands)
        {
            var canceledTimers = commands.Where(c => c.Kind == "CancelTimer").Select(c => c.Get<uint>("Seq")).ToHashSet();
            var canceledActivities = commands.Where(c => c.Kind == "RequestCancelActivity").Select(c => c.Get<uint>("Seq")).ToHashSet();
            var startedTimers = commands.Where(c => c.Kind == "StartTimer").Select(c => c.Get<uint>("Seq")).ToHashSet();
            var startedActivities = commands.Where(c => c.Kind == "ScheduleActivity").Select(c => c.Get<uint>("Seq")).ToHashSet();
            var kept = commands.Where(c => c.Kind switch
            {
                "StartTimer" or "CancelTimer" => !(canceledTimers.Contains(c.Get<uint>("Seq")) && startedTimers.Contains(c.Get<uint>("Seq"))),
                "ScheduleActivity" or "RequestCancelActivity" =>
                    !(canceledActivities.Contains(c.Get<uint>("Seq")) && startedActivities.Contains(c.Get<uint>("Seq"))),
                _ => true,
            }).ToList();
            var terminal = kept.FindIndex(IsTerminal);
            if (terminal >= 0)
            {
                var command = kept[terminal];
                kept.RemoveAll(IsTerminal);
                kept.Add(command);
            }

            return kept;
        }

        private static void Merge(Dictionary<string, Payload> into, IEnumerable<KeyValuePair<string, Payload>> values)
        {
            foreach (var (key, value) in values)
            {
                into[key] = value;
            }
        }

        private static bool IsTerminal(TapCommand command) => command.Kind is
            "CompleteWorkflowExecution" or "FailWorkflowExecution" or "ContinueAsNewWorkflowExecution" or "CancelWorkflowExecution";

        /// <summary>Appends the events for the task's commands; true when the workflow closed for good.</summary>
        private bool Record(IReadOnlyList<TapCommand> commands)
        {
            var completedId = history.TaskCompleted(now, engine.tap.Activations.SelectMany(a => a.LangFlags));
            foreach (var command in commands)
            {
                var summary = Text(command.UserMetadata?.Summary);
                switch (command.Kind)
                {
                    case "StartTimer":
                        var seq = command.Get<uint>("Seq");
                        var duration = command.Get<Duration>("StartToFireTimeout").ToTimeSpan();
                        var timerEvent = history.Append(now, EventType.TimerStarted, e => e.TimerStartedEventAttributes = new()
                        {
                            TimerId = seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            StartToFireTimeout = Duration.FromTimeSpan(duration),
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        timerEvent.UserMetadata = command.UserMetadata;
                        timers[seq] = new PendingTimer(seq, now + duration, timerEvent.EventId, summary);
                        Add(new TimerStarted(now, seq, duration, summary));
                        break;
                    case "CancelTimer":
                        var canceled = timers[command.Get<uint>("Seq")];
                        timers.Remove(canceled.Seq);
                        history.Append(now, EventType.TimerCanceled, e => e.TimerCanceledEventAttributes = new()
                        {
                            TimerId = canceled.Id,
                            StartedEventId = canceled.StartedEventId,
                            WorkflowTaskCompletedEventId = completedId,
                            Identity = "simulation",
                        });
                        Add(new TimerCanceled(now, canceled.Seq, canceled.Summary));
                        break;
                    case "ScheduleActivity":
                        activities.Add(ScheduleActivity(command, completedId, summary));
                        break;
                    case "RequestCancelActivity":
                        var activity = activities.Single(a => a.Seq == command.Get<uint>("Seq"));
                        activities.Remove(activity);
                        history.Append(now, EventType.ActivityTaskCancelRequested, e => e.ActivityTaskCancelRequestedEventAttributes = new()
                        {
                            ScheduledEventId = activity.ScheduledEventId,
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        break;
                    case "SetPatchMarker":
                        RecordPatch(command.Get<string>("PatchId"), command.Get<bool>("Deprecated"), completedId);
                        break;
                    case "UpsertWorkflowSearchAttributes":
                        var upserted = command.Get<SearchAttributes>("SearchAttributes");
                        Merge(searchAttributes, upserted.IndexedFields);

                        history.Append(now, EventType.UpsertWorkflowSearchAttributes, e => e.UpsertWorkflowSearchAttributesEventAttributes = new()
                        {
                            SearchAttributes = upserted,
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        Add(new SearchAttributesUpserted(now, upserted.IndexedFields.ToDictionary(f => f.Key, f => f.Value.Data.ToStringUtf8())));
                        break;
                    case "ModifyWorkflowProperties":
                        var upsertedMemo = command.Get<Memo>("UpsertedMemo");
                        Merge(memo, upsertedMemo.Fields);

                        history.Append(now, EventType.WorkflowPropertiesModified, e => e.WorkflowPropertiesModifiedEventAttributes = new()
                        {
                            UpsertedMemo = upsertedMemo,
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        Add(new MemoUpserted(now, upsertedMemo.Fields.Keys.ToList()));
                        break;
                    case "CompleteWorkflowExecution":
                        var result = command.Get<Payload?>("Result");
                        history.Append(now, EventType.WorkflowExecutionCompleted, e => e.WorkflowExecutionCompletedEventAttributes = new()
                        {
                            Result = result is null ? null : new Payloads { Payloads_ = { result } },
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        Add(new WorkflowCompleted(now, result));
                        return true;
                    case "FailWorkflowExecution":
                        var failure = command.Get<Failure>("Failure");
                        history.Append(now, EventType.WorkflowExecutionFailed, e => e.WorkflowExecutionFailedEventAttributes = new()
                        {
                            Failure = failure,
                            RetryState = RetryState.RetryPolicyNotSet,
                            WorkflowTaskCompletedEventId = completedId,
                        });
                        Add(new WorkflowFailed(now, failure.Message, failure.ApplicationFailureInfo?.Type));
                        return true;
                    case "ContinueAsNewWorkflowExecution":
                        ContinueAsNew(command, completedId);
                        return false;
                    default:
                        throw new JourneyEngineException(
                            $"The simulation engine does not support the workflow command '{command.Kind}' (at {now:O}).");
                }
            }

            return false;
        }

        private PendingActivity ScheduleActivity(TapCommand command, long completedId, string? summary)
        {
            var seq = command.Get<uint>("Seq");
            var id = command.Get<string>("ActivityId") is { Length: > 0 } given ? given : seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var name = command.Get<string>("ActivityType");
            var arguments = command.GetList<Payload>("Arguments");
            var attributes = new ActivityTaskScheduledEventAttributes
            {
                ActivityId = id,
                ActivityType = new() { Name = name },
                TaskQueue = command.Get<string>("TaskQueue") is { Length: > 0 } queue ? new() { Name = queue } : history.Queue(),
                Header = new Header(),
                Input = new Payloads(),
                ScheduleToCloseTimeout = command.Get<Duration?>("ScheduleToCloseTimeout"),
                ScheduleToStartTimeout = command.Get<Duration?>("ScheduleToStartTimeout"),
                StartToCloseTimeout = command.Get<Duration?>("StartToCloseTimeout"),
                HeartbeatTimeout = command.Get<Duration?>("HeartbeatTimeout"),
                RetryPolicy = command.Get<Temporalio.Api.Common.V1.RetryPolicy?>("RetryPolicy"),
                WorkflowTaskCompletedEventId = completedId,
            };
            foreach (var (key, value) in command.GetMap<Payload>("Headers"))
            {
                attributes.Header.Fields[key] = value;
            }

            attributes.Input.Payloads_.Add(arguments);
            var scheduled = history.Append(now, EventType.ActivityTaskScheduled, e => e.ActivityTaskScheduledEventAttributes = attributes);
            scheduled.UserMetadata = command.UserMetadata;
            return new PendingActivity(seq, scheduled.EventId, id, name, arguments, summary);
        }

        private void RecordPatch(string patchId, bool deprecated, long completedId)
        {
            // Core reads the patch id back from this detail; the shape is core's.
            var data = Payloads.ToPayload(new Dictionary<string, object> { ["id"] = patchId, ["deprecated"] = deprecated });
            history.Append(now, EventType.MarkerRecorded, e =>
            {
                e.MarkerRecordedEventAttributes = new() { MarkerName = "core_patch", WorkflowTaskCompletedEventId = completedId };
                e.MarkerRecordedEventAttributes.Details.Add("patch-data", new Payloads { Payloads_ = { data } });
            });
            Add(new PatchRecorded(now, patchId, deprecated));
        }

        private void ContinueAsNew(TapCommand command, long completedId)
        {
            var type = command.Get<string>("WorkflowType") is { Length: > 0 } given ? given : script.WorkflowType;
            var input = new Payloads();
            input.Payloads_.Add(command.GetList<Payload>("Arguments"));
            var previous = history;
            history.Append(now, EventType.WorkflowExecutionContinuedAsNew, e => e.WorkflowExecutionContinuedAsNewEventAttributes = new()
            {
                NewExecutionRunId = RunHistory.RunIdFor(script.WorkflowId, runs.Count + 1),
                WorkflowType = new() { Name = type },
                TaskQueue = previous.Queue(),
                Input = input,
                WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
                WorkflowTaskCompletedEventId = completedId,
                Initiator = ContinueAsNewInitiator.Workflow,
            });
            Add(new ContinuedAsNew(now));

            // The server carries search attributes and memo over unless the command replaces them.
            if (command.Get<SearchAttributes?>("SearchAttributes") is { IndexedFields.Count: > 0 } replaced)
            {
                searchAttributes.Clear();
                Merge(searchAttributes, replaced.IndexedFields);
            }

            if (command.GetMap<Payload>("Memo") is { Count: > 0 } replacedMemo)
            {
                memo.Clear();
                Merge(memo, replacedMemo);
            }

            StartRun(type, input, previous);
        }

        /// <summary>
        /// Lets the next outside happening occur and starts the workflow task it causes. Activities answer first and at
        /// once (zero virtual duration); otherwise time moves to the earliest timer or scripted happening, and everything
        /// due at that instant lands in one task. False when the workflow waits with nothing left to happen.
        /// </summary>
        private bool NextHappening()
        {
            if (history.LastEventType == EventType.WorkflowTaskStarted)
            {
                return true; // continue-as-new already started the next run's first task
            }

            if (activities.Count > 0)
            {
                foreach (var activity in activities)
                {
                    Answer(activity);
                }

                activities.Clear();
                history.TaskStarted(now);
                return true;
            }

            while (true)
            {
                var nextTimer = timers.Values.Select(t => (DateTimeOffset?)t.FiresAt).Min();
                var nextHappening = happenings.Count > 0 ? happenings.Peek().At : (DateTimeOffset?)null;
                var next = new[] { nextTimer, nextHappening }.Where(t => t is not null).Min();
                if (next is null)
                {
                    return false;
                }

                now = next.Value > now ? next.Value : now;
                var eventsBefore = history.Count;
                while (happenings.Count > 0 && happenings.Peek().At <= now)
                {
                    Happen(happenings.Dequeue());
                }

                foreach (var timer in timers.Values.Where(t => t.FiresAt <= now).OrderBy(t => t.FiresAt).ThenBy(t => t.Seq).ToList())
                {
                    timers.Remove(timer.Seq);
                    history.Append(now, EventType.TimerFired, e => e.TimerFiredEventAttributes = new()
                    {
                        TimerId = timer.Id,
                        StartedEventId = timer.StartedEventId,
                    });
                    Add(new TimerFired(now, timer.Seq, timer.Summary));
                }

                if (history.Count > eventsBefore)
                {
                    history.TaskStarted(now);
                    return true;
                }
            }
        }

        private void Happen(JourneyHappening happening)
        {
            happening.Change?.Invoke();
            if (happening.Change is not null)
            {
                Add(new WorldChanged(now, happening.Description ?? "world changed"));
            }

            if (happening.SignalName is { } name)
            {
                history.Append(now, EventType.WorkflowExecutionSignaled, e => e.WorkflowExecutionSignaledEventAttributes = new()
                {
                    SignalName = name,
                    Input = ToPayloads([happening.Argument]),
                    Identity = "simulation",
                    Header = new Header(),
                });
                Add(new SignalSent(now, name, happening.Argument));
            }
        }

        private void Answer(PendingActivity activity)
        {
            var types = engine.activityParameters.GetValueOrDefault(activity.Name);
            var args = activity.Arguments
                .Select((p, i) => types is not null && i < types.Length ? Payloads.ToValue(p, types[i]) : Payloads.ToValue<System.Text.Json.JsonElement>(p))
                .ToList();
            var call = new ActivityCall(activity.Name, args, now, activity.ActivityId, activity.Summary);
            var startedId = history.Append(now, EventType.ActivityTaskStarted, e => e.ActivityTaskStartedEventAttributes = new()
            {
                ScheduledEventId = activity.ScheduledEventId,
                Attempt = 1,
                Identity = "simulation",
                RequestId = $"{history.RunId}:{activity.ScheduledEventId}",
            }).EventId;
            try
            {
                var answer = script.Activities(call);
                history.Append(now, EventType.ActivityTaskCompleted, e => e.ActivityTaskCompletedEventAttributes = new()
                {
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = startedId,
                    Identity = "simulation",
                    Result = ToPayloads([answer]),
                });
                Add(new ActivityCalled(now, activity.Name, args, answer, null, activity.Summary));
            }
            catch (Exception e) when (e is not JourneyEngineException)
            {
                // Retries are not simulated: the fake answers once, and any exception is the activity's final failure.
                var failure = DataConverter.FailureConverter.ToFailure(e, Payloads);
                history.Append(now, EventType.ActivityTaskFailed, ev => ev.ActivityTaskFailedEventAttributes = new()
                {
                    ScheduledEventId = activity.ScheduledEventId,
                    StartedEventId = startedId,
                    Identity = "simulation",
                    Failure = failure,
                    RetryState = RetryState.NonRetryableFailure,
                });
                Add(new ActivityCalled(now, activity.Name, args, null, e.Message, activity.Summary));
            }
        }

        private void Add(JourneyStep step)
        {
            var numbered = step with { Run = RunNumber };
            steps.Add(numbered);
            script.Observe?.Invoke(numbered);
        }

        private sealed record PendingTimer(uint Seq, DateTimeOffset FiresAt, long StartedEventId, string? Summary)
        {
            public string Id => Seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        private sealed record PendingActivity(uint Seq, long ScheduledEventId, string ActivityId, string Name, IReadOnlyList<Payload> Arguments, string? Summary);
    }
}
