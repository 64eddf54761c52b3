using AbandonedCart.Tests.Engine;
using AbandonedCart.Worker.Simulation;

namespace AbandonedCart.Tests.Determinism;

public class SwappedOrderTests
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
}
