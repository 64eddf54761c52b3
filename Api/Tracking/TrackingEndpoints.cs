using AbandonedCart.Activities.Storage;
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
        builder.AddTrackingRateLimit();
        return builder;
    }

    public static IEndpointRouteBuilder MapTracking(this IEndpointRouteBuilder app)
    {
        app.MapGet("/t/c/{token}", ClickAsync).RequireRateLimiting(TrackingRateLimit.Policy).ExcludeFromDescription();
        app.MapGet("/t/o/{token}", OpenAsync).RequireRateLimiting(TrackingRateLimit.Policy).ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<RedirectHttpResult, NotFound, ProblemHttpResult>> ClickAsync(
        string token, TrackingTokens tokens, Engagements engagements, MessageStore messages, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(engagements);

        // A forged or altered token stores nothing and redirects nowhere: only a URL we signed is ever a target.
        if (tokens.Verify(token, TrackingToken.Click) is not { Target: { } target } click)
        {
            return TypedResults.NotFound();
        }

        if (await ExpiredAsync(click, tokens, messages, time, cancellationToken))
        {
            return Expired();
        }

        // A repeat click is not counted again, but it still takes the customer where the link goes.
        await engagements.RecordAsync(click, Engagements.Clicked, cancellationToken);
        return TypedResults.Redirect(target);
    }

    public static async Task<Results<FileContentHttpResult, NotFound, ProblemHttpResult>> OpenAsync(
        string token, TrackingTokens tokens, Engagements engagements, MessageStore messages, TimeProvider time, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(engagements);
        ArgumentNullException.ThrowIfNull(response);
        if (tokens.Verify(token, TrackingToken.Open) is not { } open)
        {
            return TypedResults.NotFound();
        }

        if (await ExpiredAsync(open, tokens, messages, time, cancellationToken))
        {
            return Expired();
        }

        await engagements.RecordAsync(open, Engagements.Opened, cancellationToken);

        // Every open must reach us, not a cached copy in a proxy or the mail client.
        response.Headers.CacheControl = "no-store, no-cache, must-revalidate, max-age=0";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "0";
        return TypedResults.File(Pixel, "image/gif");
    }

    /// <summary>Past its expiry; a token without one (made before links expired) is dated from its message's send time.</summary>
    private static async Task<bool> ExpiredAsync(TrackingToken token, TrackingTokens tokens, MessageStore messages, TimeProvider time, CancellationToken cancellationToken)
    {
        DateTimeOffset? sentAt = null;
        if (token.Expires is null)
        {
            var message = await messages.FindAsync(token.MessageId, cancellationToken: cancellationToken);
            sentAt = message?.SentAt is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : null;
        }

        return tokens.ExpiresAt(token, sentAt) < time.GetUtcNow();
    }

    private static ProblemHttpResult Expired() =>
        TypedResults.Problem(statusCode: StatusCodes.Status410Gone, title: "This link has expired.");
}
