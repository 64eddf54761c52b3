using System.Diagnostics;
using AbandonedCart.Worker.Simulation;
using Xunit.Abstractions;

namespace AbandonedCart.Tests.Engine;

public class StormTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_SignalStorm_ContinuesAsNewAndKeepsRunsBounded()
    {
        var start = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var engine = new JourneyEngine(new() { Workflows = [typeof(StormWorkflow)] });
        var signals = Enumerable.Range(0, 300).Select(i => JourneyHappening.Signal(start.AddSeconds(i + 1), "Bump", i)).ToList();
        var script = JourneyScript.For<StormWorkflow>("storm", new StormWorkflow.Input(0, 100), start, _ => null) with
        {
            Happenings = [.. signals, new JourneyHappening(start.AddHours(1), "Stop", null, null)],
        };

        var clock = Stopwatch.StartNew();
        var run = await engine.RunAsync(script);
        output.WriteLine($"300 signals: {clock.ElapsedMilliseconds} ms, {run.Histories.Count} runs, largest {run.LargestRunEventCount} events");

        Assert.Equal(300, run.Result<int>());
        Assert.True(run.ContinueAsNewCount >= 4, $"{run.ContinueAsNewCount} continue-as-new");
        Assert.True(run.LargestRunEventCount < 120, $"largest run {run.LargestRunEventCount} events");
    }
}
