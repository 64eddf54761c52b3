using System.Reflection;
using AbandonedCart.TemporalStandIn;
using Temporalio.Testing;
using Xunit.Sdk;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// The Temporal service the server-backed tests run on: the time-skipping test server named by
/// <c>TEMPORAL_TEST_SERVER_PATH</c> when set (it takes precedence; probed once per test run, and the tests are
/// skipped with the reason when it does not start), else the in-process stand-in (tests/TemporalStandIn).
/// </summary>
public static class TemporalTestServer
{
    public const string PathVariable = "TEMPORAL_TEST_SERVER_PATH";

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Null when a test server starts here, else why not.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>True when the tests run on the in-process stand-in (no real test server named).</summary>
    public static bool InProcess => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PathVariable));

    /// <summary>The runner name theory rows carry: the stand-in or the real test server.</summary>
    public static string RunnerName => InProcess ? ScenarioRunners.InProcess : ScenarioRunners.TestServer;

    /// <summary>
    /// Starts the service; the stand-in's clock starts at <paramref name="clockStart"/> when given (a real test
    /// server's clock starts at the wall clock, which a scenario in the past cannot use without shifting).
    /// </summary>
    public static async Task<WorkflowEnvironment> StartAsync(DateTimeOffset? clockStart = null)
    {
        if (InProcess)
        {
            return await StandInEnvironment.StartAsync(new() { StartTime = clockStart?.UtcDateTime });
        }

        return await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = Environment.GetEnvironmentVariable(PathVariable) },
        });
    }

    private static string? Probe()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        try
        {
            // Discovery must not hang on a slow download: a server that is not up in this time counts as unavailable.
            var environment = StartAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            environment.ShutdownAsync().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return $"No Temporal test server: {PathVariable}={path} did not start ({e.GetType().Name}: {e.Message}). " +
                $"Unset {PathVariable} to run these on the in-process stand-in.";
        }
    }
}

/// <summary>
/// Theory data for the server-backed runner: yields <see cref="TemporalTestServer.RunnerName"/> (the in-process
/// stand-in, or the real test server when one is named) followed by the given arguments, or marks the row as skipped
/// with <see cref="TemporalTestServer.UnavailableReason"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class TestServerDataAttribute(params object[] arguments) : DataAttribute
{
    public object[] Arguments { get; } = arguments;

    public override string? Skip
    {
        get => TemporalTestServer.UnavailableReason ?? RowSkip;
        set => RowSkip = value;
    }

    /// <summary>A reason this one row cannot run on a server yet, when it has one.</summary>
    private string? RowSkip { get; set; }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[TemporalTestServer.RunnerName, .. Arguments]];
}

/// <summary>A fact that needs a Temporal service (the stand-in or a named test server); skipped with the reason where a named one fails.</summary>
public sealed class TestServerFactAttribute : FactAttribute
{
    public TestServerFactAttribute() => Skip = TemporalTestServer.UnavailableReason;
}
