using AbandonedCart.Tests.Engine;
using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using Xunit.Abstractions;

namespace AbandonedCart.Tests.Determinism;

public class SwappedOrderTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Replay_SwappedActivityOrder_GateNamesFileAndNondeterminism()
    {
        var engine = new JourneyEngine(new() { Workflows = [typeof(GreetThenRecordWorkflow)], ActivityContracts = [typeof(IProbeActivities)] });
        var run = await engine.RunAsync(JourneyScript.For<GreetThenRecordWorkflow>("swap-1", "ana", T0, c => c.Name == "Greet" ? "hi" : null));
        var file = Path.Combine(Path.GetTempPath(), $"swapped-order-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, run.Histories.Single().ToJson());
        try
        {
            var sameCode = await GoldenHistories.ReplayAsync(file, [typeof(GreetThenRecordWorkflow)]);
            var swapped = await GoldenHistories.ReplayAsync(file, [typeof(RecordThenGreetWorkflow)]);

            output.WriteLine(swapped);
            Assert.Null(sameCode);
            Assert.NotNull(swapped);
            Assert.Contains(file, swapped, StringComparison.Ordinal);
            Assert.Contains("Nondeterminism", swapped, StringComparison.Ordinal);
            Assert.Contains("Greet", swapped, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Replay_SwappedChannelOrderInOneSendActivity_OnlyStrictGateCatchesIt()
    {
        var engine = new JourneyEngine(new() { Workflows = [typeof(PushThenEmailWorkflow)], ActivityContracts = [typeof(IJourneyActivities)] });
        var run = await engine.RunAsync(JourneyScript.For<PushThenEmailWorkflow>("swap-2", "c-1", T0, _ => new SendResult { Status = "sent" }));
        var file = Path.Combine(Path.GetTempPath(), $"swapped-channels-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, run.Histories.Single().ToJson());
        try
        {
            var plain = await GoldenHistories.ReplayAsync(file, [typeof(EmailThenPushWorkflow)], strict: false);
            var strict = await GoldenHistories.ReplayAsync(file, [typeof(EmailThenPushWorkflow)]);
            var unchanged = await GoldenHistories.ReplayAsync(file, [typeof(PushThenEmailWorkflow)]);

            output.WriteLine(strict);

            // Core compares activity types and ids only: the swap replays cleanly without the strict check.
            Assert.Null(plain);
            Assert.Null(unchanged);
            Assert.NotNull(strict);
            Assert.Contains("Activity #1 (SendMessage, event 5)", strict, StringComparison.Ordinal);
            Assert.Contains("\"Channel\":\"mobile_push\"", strict, StringComparison.Ordinal);
            Assert.Contains("\"Channel\":\"email\"", strict, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
