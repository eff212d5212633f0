import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The rules of an order, in one place for both ways in: the HTTP edge validates the JSON body
 * against these classes (ValidationPipe), and the gRPC PlaceOrder path runs the same classes on
 * the request message (validatePlaceOrder). Messages never quote the offending value, so a
 * 10 kB SKU is never echoed back.
 */
export const MAX_ORDER_ITEMS = 100;
export const MAX_ITEM_QUANTITY = 1_000_000;
/** 1–64 characters: a letter or digit, then letters, digits, `-` or `_`. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const SKU_RULE = 'sku must be 1-64 letters, digits, - or _, starting with a letter or digit';

/**
 * Validation stops at a property's first failure (`stopAtFirstError`), so a missing `items` is
 * one clear error, not three. Decorators apply bottom-up, so class-validator runs them from
 * the bottom: the most basic check (present, then type) is written last.
 */
export const VALIDATION_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true };

export class OrderItemDto {
  @Matches(SKU_PATTERN, { message: SKU_RULE })
  @IsString()
  @IsDefined()
  sku!: string;

  @Max(MAX_ITEM_QUANTITY)
  @Min(1)
  @IsInt()
  @IsDefined()
  quantity!: number;
}

/** POST /orders and PlaceOrder. Unknown properties are rejected (400), not ignored. */
export class PlaceOrderDto {
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ArrayMinSize(1)
  @IsArray()
  @IsDefined()
  items!: OrderItemDto[];
}
