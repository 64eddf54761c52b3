using AbandonedCart.Activities;
using AbandonedCart.Tests.Activities;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using Dapper;
using Temporalio.Exceptions;
using Temporalio.Worker;
using static AbandonedCart.Tests.Scenarios.CartJourneyScenarioTests;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// A cart whose total PostgreSQL cannot store (beyond <c>numeric(12,2)</c>): the real entry activity fails without
/// retry and without the value in its message, and the real journey goes on sending instead of waiting forever.
/// </summary>
public sealed class LargeCartJourneyTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private const decimal HugeTotal = 12_345_678_901.23m;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RecordEntryAsync_CartTotalBeyondNumeric12_2_FailsNonRetryableWithoutTheValue()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var entry = Entry($"large-{Guid.NewGuid():N}");

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => ActivitiesHost.RunAsync(() => host.Activities.RecordEntryAsync(entry)));

        Assert.Equal((PermanentFailure.DataRejected, true), (failure.ErrorType, failure.NonRetryable));
        Assert.Contains("22003", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("12345678901", failure.Message.Replace(",", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Null(failure.InnerException);
        await using var connection = db.DataSource.CreateConnection();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM journey_entries WHERE entry_key = @key", new { key = entry.EntryKey }));
    }

    [Fact]
    public async Task Journey_EntryRefusedByPostgres_StillSendsAndEndsWithItsOutcome()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var refused = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => ActivitiesHost.RunAsync(() => host.Activities.RecordEntryAsync(Entry($"large-{Guid.NewGuid():N}"))));
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddHours(3))) with
        {
            Events = [CartUpdate(T0, Devices.Mobile) with { Value = HugeTotal }, Purchase(T0.AddHours(3))],
        };
        var world = new ScenarioWorld(scenario);
        var plan = ScenarioPlan.For(scenario);
        var entries = new List<JourneyEntry>();

        var run = await ScenarioSimulation.CreateEngine().RunAsync(new JourneyScript
        {
            WorkflowType = Temporalio.Workflows.WorkflowDefinition.Create<AbandonedCartWorkflow>().Name!,
            WorkflowId = plan.WorkflowId,
            Args = [plan.Input],
            Start = plan.StartAt,
            SearchAttributes = plan.SearchAttributes,
            Happenings = plan.Events.Where(e => e.SignalName is not null).Select(e => JourneyHappening.Signal(e.At, e.SignalName!, e.Signal)).ToList(),
            Activities = call =>
            {
                if (call.Name != "RecordEntry")
                {
                    return world.Answer(call);
                }

                // What the real activity answered above for this cart, as Temporal would report it (no retry).
                entries.Add(call.Arg<JourneyEntry>());
                throw refused;
            },
        });

        Assert.Equal(HugeTotal, Assert.Single(entries).CartValue);
        Assert.Equal([ChannelNames.MobilePush, ChannelNames.Email], world.Timeline.Where(e => e.Kind == "send").Select(e => e.Channel));
        Assert.IsType<WorkflowCompleted>(run.Steps[^1]);
        Assert.Equal(Outcomes.Purchased, run.Result<AbandonedCartWorkflow.Result>().Outcome);
        Assert.Contains(run.Steps, s => s is PatchRecorded { PatchId: AbandonedCartWorkflow.Patches.EntryFailureTolerated });
        var replay = await new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<AbandonedCartWorkflow>())
            .ReplayWorkflowAsync(run.Histories[^1]).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(replay.ReplayFailure);
    }

    private static JourneyEntry Entry(string key) => new()
    {
        EntryKey = key,
        CustomerId = "c-large",
        Journey = Journeys.AbandonedCart,
        WorkflowId = AbandonedCartWorkflow.IdFor("c-large"),
        EnteredAt = T0,
        Holdout = false,
        CartValue = HugeTotal,
        Currency = "EUR",
    };
}
