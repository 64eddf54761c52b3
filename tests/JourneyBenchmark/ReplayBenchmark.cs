using AbandonedCart.Workflows;
using BenchmarkDotNet.Attributes;
using Temporalio.Common;
using Temporalio.Worker;

namespace AbandonedCart.JourneyBenchmark;

/// <summary>Warm replay of the default journey's full history (mobile chain ignored to the end: the longest path).</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 5, iterationCount: 15)]
public class ReplayBenchmark
{
    private WorkflowReplayer replayer = null!;
    private WorkflowHistory history = null!;

    public static string HistoryFile => Golden("Scenarios/mobile-chain.json");

    /// <summary>The current journey's longest path, and the same scenario as first released (before patch email-window-12h).</summary>
    [Params("Scenarios/mobile-chain.json", "Released/abandoned-cart-v1/mobile-chain.json")]
    public string History { get; set; } = "Scenarios/mobile-chain.json";

    public static string Golden(string name) => Path.Combine(RepositoryRoot(), "tests", "AbandonedCart.Tests", "Golden", name);

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AbandonedCart.Temporal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
    }

    public static WorkflowHistory LoadHistory(string? file = null) => WorkflowHistory.FromJson("abandoned-cart:c-1", File.ReadAllText(file ?? HistoryFile));

    [GlobalSetup]
    public void Setup()
    {
        history = LoadHistory(Golden(History));
        Console.WriteLine($"{History}: {history.Events.Count} events");
        replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<AbandonedCartWorkflow>());
    }

    [Benchmark]
    public async Task ReplayFullJourney() => await replayer.ReplayWorkflowAsync(history);
}
