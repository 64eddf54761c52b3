using AbandonedCart.Workflows;
using Temporalio.Activities;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// The journey activities answered from a <see cref="ScenarioWorld"/>, for running a scenario on a real Temporal
/// (test) server. Virtual time is the server's: the time the activity started, which time skipping moves.
/// The scenario must be shifted to the server's clock first (<see cref="Scenario.ShiftedBy"/>).
/// </summary>
public sealed class ScenarioActivities(ScenarioWorld world) : IJourneyActivities
{
    [Activity]
    public Task<SendContext> GetSendContextAsync(SendContextRequest request) => Task.FromResult(world.GetSendContext(request, Now));

    [Activity]
    public Task<SendResult> SendMessageAsync(SendRequest request) => Task.FromResult(world.SendMessage(request, Now));

    [Activity]
    public Task RecordEntryAsync(JourneyEntry entry) => Task.CompletedTask;

    [Activity]
    public Task RecordOutcomeAsync(JourneyOutcome outcome) => Task.CompletedTask;

    [Activity]
    public Task RecordDecisionAsync(DecisionRecord record)
    {
        world.RecordDecision(record, Now);
        return Task.CompletedTask;
    }

    [Activity]
    public Task<AudienceResult> AddToAudiencesAsync(AudienceRequest request) => Task.FromResult(world.AddToAudiences(request, Now));

    [Activity]
    public Task<AudienceResult> RemoveFromAudiencesAsync(AudienceRequest request) => Task.FromResult(world.RemoveFromAudiences(request, Now));

    private static DateTimeOffset Now => new(ActivityExecutionContext.Current.Info.StartedTime, TimeSpan.Zero);
}
