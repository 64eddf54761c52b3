using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Tracking;
using AbandonedCart.Api.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

// In the framework's namespace (as ActivitiesServices is), so Program.cs and ApiServices.cs call it without a using.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The links inside messages: <c>/t/c/{token}</c> records a click and redirects to the signed target,
/// <c>/t/o/{token}</c> records an email open and answers a 1×1 GIF. Both tell the customer's journey.
/// </summary>
public static class TrackingEndpoints
{
    // The smallest transparent GIF89a: 1×1, one transparent palette entry.
    private static readonly byte[] Pixel = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    /// <summary>Tracking tokens (section <c>Tracking</c>, shared with the Worker) and the provider webhook verifiers.</summary>
    public static IHostApplicationBuilder AddTracking(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddTrackingTokens();
        ProviderWebhookKeys.Register(builder.Services);
        builder.Services.AddSingleton<WebhookVerifiers>();
        builder.Services.AddSingleton<Engagements>();
        builder.Services.AddSingleton<SendGridEvents>();
        builder.Services.AddSingleton<TwilioCallbacks>();
        return builder;
    }

    public static IEndpointRouteBuilder MapTracking(this IEndpointRouteBuilder app)
    {
        app.MapGet("/t/c/{token}", ClickAsync).ExcludeFromDescription();
        app.MapGet("/t/o/{token}", OpenAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<RedirectHttpResult, NotFound>> ClickAsync(
        string token, TrackingTokens tokens, Engagements engagements, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(engagements);

        // A forged or altered token stores nothing and redirects nowhere: only a URL we signed is ever a target.
        if (tokens.Verify(token, TrackingToken.Click) is not { Target: { } target } click)
        {
            return TypedResults.NotFound();
        }

        await engagements.RecordAsync(click, Engagements.Clicked, cancellationToken);
        return TypedResults.Redirect(target);
    }

    public static async Task<Results<FileContentHttpResult, NotFound>> OpenAsync(
        string token, TrackingTokens tokens, Engagements engagements, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(engagements);
        ArgumentNullException.ThrowIfNull(response);
        if (tokens.Verify(token, TrackingToken.Open) is not { } open)
        {
            return TypedResults.NotFound();
        }

        await engagements.RecordAsync(open, Engagements.Opened, cancellationToken);

        // Every open must reach us, not a cached copy in a proxy or the mail client.
        response.Headers.CacheControl = "no-store, no-cache, must-revalidate, max-age=0";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "0";
        return TypedResults.File(Pixel, "image/gif");
    }
}
