using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Reports;
using AbandonedCart.Api.Operations;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Signals;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Temporalio.Client;

namespace AbandonedCart.Api;

/// <summary>The Api's wiring: PostgreSQL, the Temporal client (lazy: the Api starts without a server), the inbox and its relay.</summary>
public static class ApiServices
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The Api migrates too, so the outbox and events work when only the Api runs (no Temporal, no Worker).
        builder.AddJourneyStorage();
        builder.AddTemporalOptions();
        builder.Services.AddTemporalClient();
        builder.Services.AddOptions<TemporalClientConnectOptions>()
            .Configure<IOptions<TemporalOptions>>((client, temporal) =>
            {
                client.TargetHost = temporal.Value.Address;
                client.Namespace = temporal.Value.Namespace;
            });
        builder.Services.TryAddSingleton<IJourneySignals, TemporalJourneySignals>();
        builder.Services.TryAddSingleton<IJourneyRuns, TemporalJourneyRuns>();
        builder.AddOutboxPolicy();

        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        builder.Services.AddOptions<ShopifyOptions>().BindConfiguration(ShopifyOptions.Section)
            .Validate(o => o.MaxWebhookAge > TimeSpan.Zero, "Shopify: MaxWebhookAge > 0.")
            .ValidateOnStart();
        builder.Services.AddOptions<InboxOptions>()
            .BindConfiguration(InboxOptions.Section)
            .Validate(o => o.BatchSize > 0 && o.RetryBase > TimeSpan.Zero && o.RetryMax >= o.RetryBase, "Inbox: BatchSize > 0 and 0 < RetryBase <= RetryMax.")
            .ValidateOnStart();
        builder.Services.AddSingleton<EventInbox>();
        builder.Services.AddWebPushEndpoints(builder.Configuration);
        builder.Services.AddReportServices();
        builder.AddTracking();
        builder.Services.AddSingleton<InboxRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InboxRelay>());

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.AddApiHealth();
        builder.AddApiTelemetry();
        return builder;
    }
}
