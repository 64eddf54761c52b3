using System.Reflection;
using AbandonedCart.Worker.Simulation;
using Temporalio.Worker;

namespace AbandonedCart.Tests.Engine;

/// <summary>
/// Canary for the engine's reflection into Temporalio internals (see <see cref="WorkflowTaskTap"/>). When the SDK is
/// upgraded these fail first and say what moved, instead of every scenario failing obscurely.
/// </summary>
public class WorkflowTaskTapCanaryTests
{
    [Fact]
    public void Verify_PinnedSdk_FindsEveryNonPublicMember()
    {
        var error = Record.Exception(WorkflowTaskTap.Verify);

        Assert.Null(error);
    }

    [Fact]
    public void TemporalioVersion_IsThePinnedOne()
    {
        var version = typeof(WorkflowReplayer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

        Assert.True(
            version?.StartsWith("1.22.0", StringComparison.Ordinal) == true,
            $"Temporalio is {version}; WorkflowTaskTap reads non-public members checked against 1.22.0. Re-check them " +
            "against the new SDK's WorkflowInstance and bridge completion protos, then update this pin.");
    }

    [Fact]
    public async Task RunAsync_CommandsInterceptorsCannotSee_AreCaptured()
    {
        // Patches and search-attribute upserts bypass interceptors; only the tap sees them.
        var engine = new JourneyEngine(new() { Workflows = [typeof(ProbeWorkflow)], ActivityContracts = [typeof(IProbeActivities)] });
        var start = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

        var run = await engine.RunAsync(JourneyScript.For<ProbeWorkflow>("canary", new ProbeWorkflow.Input("ana"), start, c => c.Name == "Greet" ? "hi" : null) with
        {
            Happenings = [JourneyHappening.Signal(start.AddMinutes(1), "Poke", "bob")],
        });

        Assert.Single(run.Steps.OfType<PatchRecorded>());
        Assert.NotEmpty(run.Steps.OfType<SearchAttributesUpserted>());
        Assert.Equal("greeting ana", run.CurrentDetails);
        Assert.All(run.Activities, a => Assert.NotNull(a.Summary));
    }
}
