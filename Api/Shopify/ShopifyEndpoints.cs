using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using AbandonedCart.Api.Endpoints;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Security;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Api.Shopify;

/// <summary><c>POST /webhooks/shopify</c>: Shopify's signed webhooks, translated into storefront events.</summary>
public static class ShopifyEndpoints
{
    public const string HmacHeader = "X-Shopify-Hmac-Sha256";
    public const string TopicHeader = "X-Shopify-Topic";
    public const string WebhookIdHeader = "X-Shopify-Webhook-Id";
    public const string TriggeredAtHeader = "X-Shopify-Triggered-At";

    // A webhook triggered this far in the future is not Shopify's clock drifting.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public static IEndpointRouteBuilder MapShopify(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/shopify", PostAsync)
            .Accepts<JsonElement>("application/json")
            .Produces<EventAccepted[]>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("Shopify webhooks (checkouts/create, checkouts/update, orders/create, customers/update).");
        return app;
    }

    public static async Task<IResult> PostAsync(
        HttpRequest request, EventInbox inbox, IOptions<ShopifyOptions> shopify, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(shopify);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        var hmac = request.Headers[HmacHeader].ToString();
        if (hmac.Length == 0)
        {
            return SignedBody.Unauthorized($"Missing {HmacHeader} header.");
        }

        var (body, refusal) = await SignedBody.ReadAsync(request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (!IsSigned(body!, hmac, shopify.Value.WebhookSecret))
        {
            return SignedBody.Unauthorized($"The {HmacHeader} does not match the body.");
        }

        var topic = request.Headers[TopicHeader].ToString();
        var webhookId = request.Headers[WebhookIdHeader].ToString();
        if (webhookId.Length is 0 or > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [WebhookIdHeader] = ["Required (1 to 100 characters): it deduplicates redeliveries."] });
        }

        // Shopify keeps X-Shopify-Triggered-At on its retries, so a delivery older than the retry schedule is a replay.
        string? triggeredAt = null;
        if (request.Headers[TriggeredAtHeader].ToString() is { Length: > 0 } header)
        {
            if (!DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var triggered))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [TriggeredAtHeader] = ["Must be an ISO 8601 time."] });
            }

            var now = time.GetUtcNow();
            if (triggered < now - shopify.Value.MaxWebhookAge || triggered > now + ClockSkew)
            {
                return SignedBody.Unauthorized($"The {TriggeredAtHeader} is outside the accepted window (Shopify:MaxWebhookAge).");
            }

            triggeredAt = triggered.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        }

        JsonArray events;
        byte[] translated;
        var dropped = new List<string>();
        try
        {
            // The JSON reader passes invalid UTF-8 inside strings through; reading such a string later throws.
            using var document = Utf8.IsValid(body) ? JsonDocument.Parse(body) : throw new JsonException("The body is not valid UTF-8.", new InvalidOperationException());
            events = ShopifyEvents.Translate(topic, webhookId, document.RootElement, triggeredAt, dropped);

            // Values passed on as raw JSON (quantities) may hold a lone surrogate escape, which cannot be written as text.
            translated = JsonSerializer.SerializeToUtf8Bytes(events);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["body"] = [e.InnerException is InvalidOperationException ? "The body holds text that is not valid Unicode (invalid UTF-8 or a lone surrogate)." : "Malformed JSON."],
            });
        }

        if (dropped.Count > 0)
        {
            loggers.CreateLogger(typeof(ShopifyEndpoints)).LogWarning(
                "Shopify webhook {WebhookId} ({Topic}): kept without {Dropped}", webhookId, topic, string.Join("; ", dropped));
        }

        // Topics we do not use, and checkouts without a customer, are acknowledged so Shopify does not retry them.
        return events.Count == 0
            ? TypedResults.Accepted((string?)null, Array.Empty<EventAccepted>())
            : await EventEndpoints.AcceptAsync(translated, inbox, cancellationToken, ShopifyEvents.SourceField);
    }

    /// <summary>Shopify signs the raw body: base64 HMAC-SHA256 with the app's secret, compared in constant time.</summary>
    public static bool IsSigned(ReadOnlySpan<byte> body, string hmacBase64, string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        var given = new byte[32];
        return Convert.TryFromBase64String(hmacBase64, given, out var written) && written == 32 && CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
