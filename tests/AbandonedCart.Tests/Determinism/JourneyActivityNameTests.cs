using System.Reflection;
using System.Text.Json;
using AbandonedCart.Workflows;
using Temporalio.Activities;

namespace AbandonedCart.Tests.Determinism;

/// <summary>
/// The workflow calls its activities by name (<see cref="JourneyActivity"/>), not through lambda expressions: the names
/// must be the ones the worker registers and the recorded histories carry.
/// </summary>
public class JourneyActivityNameTests
{
    private static readonly string[] Names = typeof(JourneyActivity)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(string))
        .Select(f => (string)f.GetValue(null)!)
        .ToArray();

    [Fact]
    public void Names_EveryActivityOfTheInterface_NamedAsTheWorkerRegistersIt()
    {
        // The worker registers the implementation's methods; their names must be the ones the workflow schedules.
        var registered = typeof(IJourneyActivities).GetMethods()
            .Select(m => ActivityDefinition.Create(typeof(AbandonedCart.Activities.JourneyActivities).GetMethod(m.Name)!, _ => null).Name)
            .Order()
            .ToArray();

        Assert.Equal(registered, Names.Order().ToArray());
        Assert.Contains("SendMessage", Names);
    }

    [Fact]
    public void Names_EveryActivityInTheJourneysGoldenHistories_IsOneOfThem()
    {
        var scheduled = GoldenHistories.All()
            .Select(file => JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenHistories.Root, file))).RootElement.GetProperty("events"))
            .Where(events => events[0].GetProperty("workflowExecutionStartedEventAttributes").GetProperty("workflowType")
                .GetProperty("name").GetString() == nameof(AbandonedCartWorkflow))
            .SelectMany(events => events.EnumerateArray())
            .Where(e => e.TryGetProperty("activityTaskScheduledEventAttributes", out _))
            .Select(e => e.GetProperty("activityTaskScheduledEventAttributes").GetProperty("activityType").GetProperty("name").GetString()!)
            .Distinct()
            .ToArray();

        Assert.NotEmpty(scheduled);
        Assert.All(scheduled, name => Assert.Contains(name, Names));
    }
}
