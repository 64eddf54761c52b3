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

    public static async Task<IResult> PostAsync(HttpRequest request, EventInbox inbox, IOptions<ShopifyOptions> shopify, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(shopify);
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

        JsonArray events;
        byte[] translated;
        try
        {
            // The JSON reader passes invalid UTF-8 inside strings through; reading such a string later throws.
            using var document = Utf8.IsValid(body) ? JsonDocument.Parse(body) : throw new JsonException("The body is not valid UTF-8.", new InvalidOperationException());
            events = ShopifyEvents.Translate(topic, webhookId, document.RootElement);

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

        // Topics we do not use, and checkouts without a customer, are acknowledged so Shopify does not retry them.
        return events.Count == 0
            ? TypedResults.Accepted((string?)null, Array.Empty<EventAccepted>())
            : await EventEndpoints.AcceptAsync(translated, inbox, cancellationToken);
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
