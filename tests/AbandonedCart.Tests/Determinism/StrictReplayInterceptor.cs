using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace AbandonedCart.Tests.Determinism;

/// <summary>
/// Makes replay also check what core does not: every activity's input and
/// every timer's duration must match the history. Core only compares activity types and ids, so a swapped channel
/// order in a journey whose channels all go through one <c>SendMessage</c> activity would otherwise replay cleanly.
/// A patched change is still fine: replaying an old history, <c>Workflow.Patched</c> is false and the old path runs.
/// Fields added to or removed from an activity's input record are tolerated; changed values are not.
/// </summary>
public sealed class StrictReplayInterceptor : IWorkerInterceptor
{
    private readonly IReadOnlyList<(long EventId, string Type, Payloads Input)> activities;
    private readonly IReadOnlyList<(long EventId, TimeSpan Duration)> timers;
    private readonly List<string> mismatches = [];

    public StrictReplayInterceptor(WorkflowHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        activities = history.Events
            .Where(e => e.EventType == EventType.ActivityTaskScheduled)
            .Select(e => (e.EventId, e.ActivityTaskScheduledEventAttributes.ActivityType.Name, e.ActivityTaskScheduledEventAttributes.Input ?? new Payloads()))
            .ToList();
        timers = history.Events
            .Where(e => e.EventType == EventType.TimerStarted)
            .Select(e => (e.EventId, e.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan()))
            .ToList();
    }

    /// <summary>What differed from the history, first difference first.</summary>
    public IReadOnlyList<string> Mismatches => mismatches;

    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) => new Inbound(nextInterceptor, this);

    private static string Json(IEnumerable<Payload> payloads) =>
        string.Join(", ", payloads.Select(p => p.Data.ToStringUtf8()));

    /// <summary>
    /// Same input when every value both sides have is equal. A field only one side has (a contract that gained or
    /// lost an optional field) is not a different decision, so it does not count.
    /// </summary>
    private static bool SameInput(IReadOnlyList<Payload> recorded, IReadOnlyList<Payload> now) =>
        recorded.Count == now.Count && recorded.Zip(now).All(p => p.First.Equals(p.Second) || SameJson(Parse(p.First), Parse(p.Second)));

    private static JsonNode? Parse(Payload payload)
    {
        try
        {
            return JsonNode.Parse(payload.Data.ToStringUtf8());
        }
        catch (JsonException)
        {
            return JsonValue.Create(payload.Data.ToBase64());
        }
    }

    private static bool SameJson(JsonNode? recorded, JsonNode? now) => (recorded, now) switch
    {
        (JsonObject a, JsonObject b) => a.All(p => !b.ContainsKey(p.Key) || SameJson(p.Value, b[p.Key])),
        (JsonArray a, JsonArray b) => a.Count == b.Count && a.Zip(b).All(p => SameJson(p.First, p.Second)),
        _ => JsonNode.DeepEquals(recorded, now),
    };

    private void Fail(string mismatch)
    {
        mismatches.Add(mismatch);
        throw new InvalidOperationException(mismatch);
    }

    private sealed class Inbound(WorkflowInboundInterceptor next, StrictReplayInterceptor root) : WorkflowInboundInterceptor(next)
    {
        public override void Init(WorkflowOutboundInterceptor outbound) => base.Init(new Outbound(outbound, root));
    }

    private sealed class Outbound(WorkflowOutboundInterceptor next, StrictReplayInterceptor root) : WorkflowOutboundInterceptor(next)
    {
        private int activityCount;
        private int timerCount;

        public override Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input)
        {
            var index = activityCount++;
            if (index < root.activities.Count)
            {
                var (eventId, type, recorded) = root.activities[index];
                var now = input.Args.Select(a => Workflow.PayloadConverter.ToPayload(a)).ToList();
                if (type == input.Activity && !SameInput(recorded.Payloads_, now))
                {
                    root.Fail(
                        $"Activity #{index + 1} ({type}, event {eventId}) is now scheduled with different input. " +
                        $"History: {Json(recorded.Payloads_)} Code now: {Json(now)}");
                }
            }

            return base.ScheduleActivityAsync<TResult>(input);
        }

        public override Task DelayAsync(DelayAsyncInput input)
        {
            // Infinite delays start no timer; a zero delay is a 1 ms timer.
            if (input.Delay != Timeout.InfiniteTimeSpan)
            {
                var index = timerCount++;
                var delay = input.Delay == TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : input.Delay;
                if (index < root.timers.Count && root.timers[index].Duration != delay)
                {
                    root.Fail(
                        $"Timer #{index + 1} (event {root.timers[index].EventId}) now waits " +
                        $"{delay.ToString("c", CultureInfo.InvariantCulture)} instead of {root.timers[index].Duration.ToString("c", CultureInfo.InvariantCulture)}.");
                }
            }

            return base.DelayAsync(input);
        }
    }
}
