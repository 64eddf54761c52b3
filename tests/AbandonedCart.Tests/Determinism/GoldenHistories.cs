using System.Reflection;
using System.Text.Json;
using AbandonedCart.Tests.Engine;
using AbandonedCart.Workflows;
using Temporalio.Common;
using Temporalio.Worker;
using Temporalio.Workflows;

namespace AbandonedCart.Tests.Determinism;

/// <summary>
/// Recorded histories under <c>tests/AbandonedCart.Tests/Golden/</c>: carts "in flight" that every build of the
/// workflows must still replay. Scenario tests save theirs only when <c>UPDATE_GOLDEN=1</c>, so a history is never
/// rewritten to match changed code by accident.
/// </summary>
public static class GoldenHistories
{
    public const string UpdateVariable = "UPDATE_GOLDEN";

    /// <summary>Every workflow a golden history may belong to: the product's workflows and the engine's probes.</summary>
    public static readonly IReadOnlyList<Type> Workflows =
    [
        .. typeof(AbandonedCartWorkflow).Assembly.GetTypes().Where(t => t.GetCustomAttribute<WorkflowAttribute>() is not null),
        typeof(ProbeWorkflow),
        typeof(ProbeFailingWorkflow),
    ];

    /// <summary>The Golden folder in the source tree (found from the test binaries), so saved files land in git.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Golden files relative to <see cref="Root"/>, with forward slashes.</summary>
    public static IEnumerable<string> All() =>
        Directory.Exists(Root)
            ? Directory.EnumerateFiles(Root, "*.json", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)
            : [];

    /// <summary>
    /// Saves <paramref name="history"/> as <c>Golden/{name}.json</c> when <c>UPDATE_GOLDEN=1</c>; otherwise only
    /// requires that the file exists (the gate replays it). Existing files are never rewritten without the variable.
    /// </summary>
    public static void Keep(string name, WorkflowHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var path = Path.Combine(Root, name + ".json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Indent(history.ToJson()));
            return;
        }

        if (!File.Exists(path))
        {
            Assert.Fail(
                $"Golden history Golden/{name}.json is missing. Review the scenario, then create it with " +
                $"`{UpdateVariable}=1 dotnet test --filter \"FullyQualifiedName~<this test>\"` and commit the file.");
        }
    }

    /// <summary>
    /// Replays one golden file against <paramref name="workflows"/>, strictly (<see cref="StrictReplayInterceptor"/>):
    /// returns the failure naming the file, or null when it replays.
    /// </summary>
    public static async Task<string?> ReplayAsync(string file, IEnumerable<Type> workflows, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var history = WorkflowHistory.FromJson(Path.GetFileNameWithoutExtension(file), await File.ReadAllTextAsync(file));

        // Workflows may use their id (e.g. in idempotency keys): replay under the recorded one when the history has it.
        if (history.Events.FirstOrDefault()?.WorkflowExecutionStartedEventAttributes?.WorkflowId is { Length: > 0 } workflowId)
        {
            history = new WorkflowHistory(workflowId, history.Events);
        }
        var interceptor = new StrictReplayInterceptor(history);
        var options = new WorkflowReplayerOptions { Interceptors = strict ? [interceptor] : [] };
        foreach (var workflow in workflows)
        {
            options.AddWorkflow(workflow);
        }

        var result = await new WorkflowReplayer(options).ReplayWorkflowAsync(history, throwOnReplayFailure: false)
            .WaitAsync(TimeSpan.FromSeconds(60));
        if (interceptor.Mismatches.Count > 0)
        {
            return $"{file}: {interceptor.Mismatches[0]}";
        }

        return result.ReplayFailure is { } failure ? $"{file}: {failure.GetType().Name}: {failure.Message}" : null;
    }

    private static string Indent(string json) =>
        JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AbandonedCart.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "Golden");
            }
        }

        // Outside the source tree (a copied test folder): the copies next to the binaries.
        return Path.Combine(AppContext.BaseDirectory, "Golden");
    }
}
