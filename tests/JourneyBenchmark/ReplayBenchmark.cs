using AbandonedCart.Workflows;
using BenchmarkDotNet.Attributes;
using Temporalio.Common;
using Temporalio.Worker;

namespace AbandonedCart.JourneyBenchmark;

/// <summary>Warm replay of the default journey's full history (mobile chain ignored to the end: the longest path).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ReplayBenchmark
{
    private WorkflowReplayer replayer = null!;
    private WorkflowHistory history = null!;

    public static string HistoryFile => Path.Combine(RepositoryRoot(), "tests", "AbandonedCart.Tests", "Golden", "Scenarios", "mobile-chain.json");

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AbandonedCart.Temporal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
    }

    public static WorkflowHistory LoadHistory() => WorkflowHistory.FromJson("abandoned-cart:c-1", File.ReadAllText(HistoryFile));

    [GlobalSetup]
    public void Setup()
    {
        history = LoadHistory();
        replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<AbandonedCartWorkflow>());
    }

    [Benchmark]
    public async Task ReplayFullJourney() => await replayer.ReplayWorkflowAsync(history);
}
