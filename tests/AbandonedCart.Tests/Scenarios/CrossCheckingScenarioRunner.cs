using System.Globalization;
using AbandonedCart.Worker.Simulation;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Common;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// Runs a scenario on the in-process service and on the offline engine, and fails when the two histories differ in
/// their commands or events (ids and timestamps aside): the stand-in records what a server records, the engine
/// builds what it believes a server records, and each keeps the other honest.
/// </summary>
public sealed class CrossCheckingScenarioRunner(IScenarioRunner server, IScenarioRunner offline) : IScenarioRunner
{
    public async Task<ScenarioResult> RunAsync(Scenario scenario, string? golden = null)
    {
        var onServer = await server.RunAsync(scenario);
        var offlineRun = (await offline.RunAsync(scenario)).Run!;
        var expected = offlineRun.Histories.Select(Describe).ToList();
        var actual = onServer.ServerHistories.Select(Describe).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (var run = 0; run < expected.Count; run++)
        {
            var difference = expected[run].Zip(actual[run]).Select((pair, i) => (pair, i)).FirstOrDefault(x => x.pair.First != x.pair.Second);
            if (difference.pair != default || expected[run].Count != actual[run].Count)
            {
                var at = difference.pair == default ? Math.Min(expected[run].Count, actual[run].Count) : difference.i;
                Assert.Fail(
                    $"run {run + 1}: the in-process history differs from the offline engine's at event {at + 1}:\n" +
                    $"  offline:    {expected[run].ElementAtOrDefault(at) ?? "(end)"}\n" +
                    $"  in-process: {actual[run].ElementAtOrDefault(at) ?? "(end)"}");
            }
        }

        return onServer;
    }

    /// <summary>
    /// Core flags a live worker records that the offline engine does not write (docs/in-process-temporal.md): 2 (a
    /// TemporalChangeVersion upsert beside each patch marker) and 4. The comparison leaves them out; everything else
    /// in the task's metadata must match.
    /// </summary>
    private static readonly uint[] NotWrittenOffline = [2, 4];

    /// <summary>One line per event: its type and what the workflow or server decided in it, without ids or times.</summary>
    public static IReadOnlyList<string> Describe(WorkflowHistory history) =>
        history.Events.Where(e => !IsChangeVersionUpsert(e)).Select(Describe).ToList();

    /// <summary>
    /// A live worker (core flag 2) upserts <c>TemporalChangeVersion</c> after each patch marker; the offline engine
    /// writes no such event (docs/in-process-temporal.md). Left out of the comparison, like flag 2 itself.
    /// </summary>
    private static bool IsChangeVersionUpsert(HistoryEvent e) =>
        e.EventType == EventType.UpsertWorkflowSearchAttributes
        && e.UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes.IndexedFields.Keys.All(k => k == "TemporalChangeVersion");

    private static string Describe(HistoryEvent e)
    {
        var summary = e.UserMetadata?.Summary?.Data.ToStringUtf8();
        var detail = e.EventType switch
        {
            EventType.WorkflowExecutionStarted => $"{e.WorkflowExecutionStartedEventAttributes.WorkflowType.Name} input={Data(e.WorkflowExecutionStartedEventAttributes.Input)} attributes={Attributes(e.WorkflowExecutionStartedEventAttributes.SearchAttributes)} summary={summary} continued={!string.IsNullOrEmpty(e.WorkflowExecutionStartedEventAttributes.ContinuedExecutionRunId)}",
            EventType.WorkflowExecutionSignaled => $"{e.WorkflowExecutionSignaledEventAttributes.SignalName} {Data(e.WorkflowExecutionSignaledEventAttributes.Input)}",
            EventType.WorkflowTaskCompleted => $"core={Flags(e.WorkflowTaskCompletedEventAttributes.SdkMetadata?.CoreUsedFlags.Where(f => !NotWrittenOffline.Contains(f)))} lang={Flags(e.WorkflowTaskCompletedEventAttributes.SdkMetadata?.LangUsedFlags)}",
            EventType.ActivityTaskScheduled => Scheduled(e.ActivityTaskScheduledEventAttributes, summary),
            EventType.ActivityTaskStarted => $"attempt={e.ActivityTaskStartedEventAttributes.Attempt}",
            EventType.ActivityTaskCompleted => VoidAsEmpty(Data(e.ActivityTaskCompletedEventAttributes.Result)),
            EventType.ActivityTaskFailed => e.ActivityTaskFailedEventAttributes.Failure.Message,
            EventType.TimerStarted => $"{e.TimerStartedEventAttributes.TimerId} {e.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan()} summary={summary}",
            EventType.TimerFired => e.TimerFiredEventAttributes.TimerId,
            EventType.TimerCanceled => e.TimerCanceledEventAttributes.TimerId,
            EventType.MarkerRecorded => $"{e.MarkerRecordedEventAttributes.MarkerName} {string.Join(",", e.MarkerRecordedEventAttributes.Details.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={Data(d.Value)}"))}",
            EventType.UpsertWorkflowSearchAttributes => Attributes(e.UpsertWorkflowSearchAttributesEventAttributes.SearchAttributes),
            EventType.WorkflowPropertiesModified => string.Join(",", e.WorkflowPropertiesModifiedEventAttributes.UpsertedMemo.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value.Data.ToStringUtf8()}")),
            EventType.WorkflowExecutionCompleted => Data(e.WorkflowExecutionCompletedEventAttributes.Result),
            EventType.WorkflowExecutionContinuedAsNew => Data(e.WorkflowExecutionContinuedAsNewEventAttributes.Input),
            _ => string.Empty,
        };
        return $"{e.EventType} {detail}".TrimEnd();
    }

    private static string Scheduled(ActivityTaskScheduledEventAttributes a, string? summary) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{a.ActivityType.Name} id={a.ActivityId} s2c={Timeout(a.ScheduleToCloseTimeout)} st2c={Timeout(a.StartToCloseTimeout)} " +
            $"retry={a.RetryPolicy?.InitialInterval?.ToTimeSpan()}/{a.RetryPolicy?.BackoffCoefficient}/{a.RetryPolicy?.MaximumInterval?.ToTimeSpan()}/{a.RetryPolicy?.MaximumAttempts} " +
            $"summary={summary} input={Data(a.Input)}");

    /// <summary>
    /// A void activity: the live worker completes it with a payload the engine leaves out (the engine's fake answers
    /// carry no result); the workflow reads neither. Documented in docs/in-process-temporal.md.
    /// </summary>
    private static string VoidAsEmpty(string result) => result is "{}" ? string.Empty : result;

    /// <summary>The server writes an unset timeout as zero (no limit) where the engine leaves it out; both mean none.</summary>
    private static string Timeout(Google.Protobuf.WellKnownTypes.Duration? timeout) =>
        timeout is null || timeout.ToTimeSpan() == TimeSpan.Zero ? "none" : timeout.ToTimeSpan().ToString();

    private static string Data(Temporalio.Api.Common.V1.Payloads? payloads) =>
        payloads is null ? string.Empty : string.Join("|", payloads.Payloads_.Select(p => p.Data.ToStringUtf8()));

    private static string Attributes(Temporalio.Api.Common.V1.SearchAttributes? attributes) =>
        attributes is null ? string.Empty : string.Join(",", attributes.IndexedFields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value.Data.ToStringUtf8()}"));

    private static string Flags(IEnumerable<uint>? flags) => flags is null ? string.Empty : string.Join(",", flags.Order());
}
