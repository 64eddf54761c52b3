using AbandonedCart.Workflows;
using BenchmarkDotNet.Attributes;
using Temporalio.Common;
using Temporalio.Worker;

namespace AbandonedCart.JourneyBenchmark;

/// <summary>
/// Warm replay of the default journey's full history: mobile chain ignored to the end with one quiet-hours deferral,
/// audiences added with the first message and removed 14 days later (scenario test <c>Journey_FullDefaultJourney_…</c>).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 10, iterationCount: 40)]
public class ReplayBenchmark
{
    private WorkflowReplayer replayer = null!;
    private WorkflowHistory history = null!;

    public static string HistoryFile => Golden("Scenarios/full-journey.json");

    /// <summary>
    /// The current journey's full history; the mobile chain now, as released in v2 (before patch gate-checked-at-send)
    /// and as first released (v1, before patch email-window-12h). Short names keep BenchmarkDotNet's table readable.
    /// </summary>
    [Params("full-journey", "mobile-chain", "v2/mobile-chain", "v1/mobile-chain")]
    public string History { get; set; } = "full-journey";

    /// <summary>The golden file behind a <see cref="History"/> name.</summary>
    public static string FileOf(string history) => history switch
    {
        "v2/mobile-chain" => Golden("Released/abandoned-cart-v2/mobile-chain.json"),
        "v1/mobile-chain" => Golden("Released/abandoned-cart-v1/mobile-chain.json"),
        _ when history.EndsWith(".json", StringComparison.Ordinal) => Golden(history),
        _ => Golden($"Scenarios/{history}.json"),
    };

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
        history = LoadHistory(FileOf(History));
        Console.WriteLine($"{History}: {history.Events.Count} events");
        replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<AbandonedCartWorkflow>());
    }

    private const int Batch = 50;

    /// <summary>One replay as <c>ReplayWorkflowAsync</c> does it: a replay worker is set up and shut down around it.</summary>
    [Benchmark]
    public async Task ReplayFullJourney() => await replayer.ReplayWorkflowAsync(history);

    /// <summary>
    /// Replays as a running worker does after a cache eviction: the worker exists, the history is fed to it. Fifty
    /// copies stream through one <c>ReplayWorkflowsAsync</c>; the figure is per history.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task ReplayInRunningWorker()
    {
        foreach (var result in await replayer.ReplayWorkflowsAsync(Copies()))
        {
            if (result.ReplayFailure is { } failure)
            {
                throw failure;
            }
        }
    }

    private IEnumerable<WorkflowHistory> Copies()
    {
        for (var i = 0; i < Batch; i++)
        {
            yield return new WorkflowHistory($"{history.Id}-{i}", history.Events);
        }
    }
}
