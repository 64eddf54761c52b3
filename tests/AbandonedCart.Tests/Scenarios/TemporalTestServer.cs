using System.Reflection;
using Temporalio.Testing;
using Xunit.Sdk;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// The Temporal time-skipping test server, when one can be had: the binary named by <c>TEMPORAL_TEST_SERVER_PATH</c>,
/// else the SDK's download. Probed once per test run; where neither works, the tests that need it are reported as
/// skipped with the reason (TESTING.md: never passed silently).
/// </summary>
public static class TemporalTestServer
{
    public const string PathVariable = "TEMPORAL_TEST_SERVER_PATH";

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Null when a test server starts here, else why not.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    public static Task<WorkflowEnvironment> StartAsync()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        return WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = string.IsNullOrEmpty(path) ? null : path },
        });
    }

    private static string? Probe()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        try
        {
            // Discovery must not hang on a slow download: a server that is not up in this time counts as unavailable.
            var environment = StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            environment.ShutdownAsync().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            var where = string.IsNullOrEmpty(path) ? $"{PathVariable} is not set" : $"{PathVariable}={path} did not start";
            return $"No Temporal test server: {where} and the SDK's download failed ({e.GetType().Name}: {e.Message}). " +
                $"Set {PathVariable} to a temporal-test-server binary to run these.";
        }
    }
}

/// <summary>
/// Theory data for the real-server runner: yields <see cref="ScenarioRunners.TestServer"/> followed by the given
/// arguments, or marks the row as skipped with <see cref="TemporalTestServer.UnavailableReason"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class TestServerDataAttribute(params object[] arguments) : DataAttribute
{
    public object[] Arguments { get; } = arguments;

    public override string? Skip { get; set; } = TemporalTestServer.UnavailableReason;

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[ScenarioRunners.TestServer, .. Arguments]];
}

/// <summary>A fact that needs the Temporal test server; skipped with the reason where there is none.</summary>
public sealed class TestServerFactAttribute : FactAttribute
{
    public TestServerFactAttribute() => Skip = TemporalTestServer.UnavailableReason;
}
