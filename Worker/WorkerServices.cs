using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Workflows;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace AbandonedCart.Worker;

/// <summary>
/// The Worker host: migrations on start, the audience removals erasures queued (with the real providers), then the
/// Temporal worker running the journeys and their activities.
/// </summary>
public static class WorkerServices
{
    public static IHostApplicationBuilder AddWorkerServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Registered before the worker: hosted services start in order, so migrations finish before any activity runs.
        builder.AddJourneyActivities();
        builder.Services.AddChannelProviders(builder.Configuration);
        builder.AddOutboxPolicy();
        builder.AddTemporalOptions();
        builder.Services.AddOptions<AudienceRemovalOptions>()
            .BindConfiguration(AudienceRemovalOptions.Section)
            .Validate(o => o.BatchSize > 0 && o.PollInterval > TimeSpan.Zero && o.RetryBase > TimeSpan.Zero && o.RetryMax >= o.RetryBase,
                "AudienceRemovals: BatchSize > 0, PollInterval > 0 and 0 < RetryBase <= RetryMax.")
            .ValidateOnStart();
        builder.Services.AddHostedService<AudienceRemovalLoop>();

        // The worker is registered under its task queue name, so that one value is read here; the rest is bound options.
        var taskQueue = builder.Configuration.GetSection(TemporalOptions.Section).Get<TemporalOptions>()?.TaskQueue ?? AbandonedCartWorkflow.TaskQueue;
        builder.Services.AddHostedTemporalWorker(taskQueue)
            .AddScopedActivities<JourneyActivities>()
            .AddWorkflow<AbandonedCartWorkflow>()
            .ConfigureOptions()
            .Configure<IOptions<TemporalOptions>>((worker, temporal) =>
                worker.ClientOptions = new(temporal.Value.Address) { Namespace = temporal.Value.Namespace });
        return builder;
    }
}
